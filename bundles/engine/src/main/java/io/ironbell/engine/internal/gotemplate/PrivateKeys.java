package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.Der.Element;
import io.ironbell.engine.internal.gotemplate.Der.Fields;
import io.ironbell.engine.internal.gotemplate.Der.Malformed;
import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import java.math.BigInteger;
import java.security.AlgorithmParameterGenerator;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.DSAPrivateKey;
import java.security.interfaces.DSAPublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.DSAGenParameterSpec;
import java.security.spec.DSAParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPrivateKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Private keys as Sprig makes, reads and writes them (genPrivateKey, parsePrivateKeyPEM,
 * pemBlockForKey) with Go 1.19's crypto packages: RSA (PKCS #1), ECDSA on P-224, P-256, P-384 and
 * P-521 (SEC 1), Ed25519 (PKCS #8) and DSA (Sprig's own sequence of its numbers), with Go's
 * checks, Go's errors and Go's signatures for x509.
 */
final class PrivateKeys {

    private PrivateKeys() {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private static final String OID_RSA = "1.2.840.113549.1.1.1";
    private static final String OID_EC = "1.2.840.10045.2.1";
    private static final String OID_ED25519 = "1.3.101.112";

    /** Go's named curves: their names for the JDK, OIDs, and what x509 signs with on them. */
    enum Curve {
        P224("secp224r1", "1.3.132.0.33", "SHA-256", "1.2.840.10045.4.3.2"),
        P256("secp256r1", "1.2.840.10045.3.1.7", "SHA-256", "1.2.840.10045.4.3.2"),
        P384("secp384r1", "1.3.132.0.34", "SHA-384", "1.2.840.10045.4.3.3"),
        P521("secp521r1", "1.3.132.0.35", "SHA-512", "1.2.840.10045.4.3.4");

        final String jdkName;
        final String oid;
        final String hash;
        final String signatureOid;
        private ECParameterSpec params;

        Curve(String jdkName, String oid, String hash, String signatureOid) {
            this.jdkName = jdkName;
            this.oid = oid;
            this.hash = hash;
            this.signatureOid = signatureOid;
        }

        static Curve byOid(String oid) {
            for (Curve c : values()) {
                if (c.oid.equals(oid)) {
                    return c;
                }
            }
            return null;
        }

        synchronized ECParameterSpec params() {
            if (params == null) {
                try {
                    AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
                    p.init(new ECGenParameterSpec(jdkName));
                    params = p.getParameterSpec(ECParameterSpec.class);
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            }
            return params;
        }

        BigInteger p() {
            return ((java.security.spec.ECFieldFp) params().getCurve().getField()).getP();
        }

        BigInteger order() {
            return params().getOrder();
        }

        /** The bytes of a coordinate: (bitSize+7)/8. */
        int coordinateLength() {
            return (p().bitLength() + 7) / 8;
        }

        boolean onCurve(BigInteger x, BigInteger y) {
            BigInteger p = p();
            if (x.signum() < 0 || x.compareTo(p) >= 0 || y.signum() < 0 || y.compareTo(p) >= 0) {
                return false;
            }
            BigInteger right = x.pow(3).add(params().getCurve().getA().multiply(x)).add(params().getCurve().getB()).mod(p);
            return y.multiply(y).mod(p).equals(right);
        }

        /**
         * k·G as Go's ScalarBaseMult gives it, (0, 0) for the point at infinity. Plain BigInteger
         * arithmetic (Jacobian coordinates), not constant-time: it runs on keys a template already
         * holds in the clear, to find their public halves.
         */
        BigInteger[] multiplyBase(BigInteger k) {
            BigInteger gx = params().getGenerator().getAffineX();
            BigInteger gy = params().getGenerator().getAffineY();
            BigInteger p = p();
            BigInteger a = params().getCurve().getA();
            BigInteger[] r = null;
            for (int i = k.bitLength() - 1; i >= 0; i--) {
                if (r != null) {
                    r = twice(r, p, a);
                }
                if (k.testBit(i)) {
                    r = r == null ? new BigInteger[] {gx, gy, BigInteger.ONE} : plus(r, gx, gy, p, a);
                }
            }
            if (r == null || r[2].signum() == 0) {
                return new BigInteger[] {BigInteger.ZERO, BigInteger.ZERO};
            }
            BigInteger zInverse = r[2].modInverse(p);
            BigInteger z2 = zInverse.multiply(zInverse).mod(p);
            return new BigInteger[] {r[0].multiply(z2).mod(p), r[1].multiply(z2).multiply(zInverse).mod(p)};
        }

        private static BigInteger[] twice(BigInteger[] q, BigInteger p, BigInteger a) {
            BigInteger x = q[0];
            BigInteger y = q[1];
            BigInteger z = q[2];
            if (y.signum() == 0 || z.signum() == 0) {
                return new BigInteger[] {BigInteger.ONE, BigInteger.ONE, BigInteger.ZERO};
            }
            BigInteger y2 = y.multiply(y).mod(p);
            BigInteger s = x.multiply(y2).shiftLeft(2).mod(p);
            BigInteger z2 = z.multiply(z).mod(p);
            BigInteger m = x.multiply(x).multiply(BigInteger.valueOf(3)).add(a.multiply(z2).multiply(z2)).mod(p);
            BigInteger x3 = m.multiply(m).subtract(s.shiftLeft(1)).mod(p);
            BigInteger y3 = m.multiply(s.subtract(x3)).subtract(y2.multiply(y2).shiftLeft(3)).mod(p);
            return new BigInteger[] {x3, y3, y.multiply(z).shiftLeft(1).mod(p)};
        }

        /** q + (x2, y2). */
        private static BigInteger[] plus(BigInteger[] q, BigInteger x2, BigInteger y2, BigInteger p, BigInteger a) {
            if (q[2].signum() == 0) {
                return new BigInteger[] {x2, y2, BigInteger.ONE};
            }
            BigInteger z2 = q[2].multiply(q[2]).mod(p);
            BigInteger u2 = x2.multiply(z2).mod(p);
            BigInteger s2 = y2.multiply(z2).multiply(q[2]).mod(p);
            BigInteger h = u2.subtract(q[0]).mod(p);
            BigInteger r = s2.subtract(q[1]).mod(p);
            if (h.signum() == 0) {
                return r.signum() == 0 ? twice(new BigInteger[] {x2, y2, BigInteger.ONE}, p, a)
                        : new BigInteger[] {BigInteger.ONE, BigInteger.ONE, BigInteger.ZERO};
            }
            BigInteger h2 = h.multiply(h).mod(p);
            BigInteger h3 = h2.multiply(h).mod(p);
            BigInteger u1h2 = q[0].multiply(h2).mod(p);
            BigInteger x3 = r.multiply(r).subtract(h3).subtract(u1h2.shiftLeft(1)).mod(p);
            BigInteger y3 = r.multiply(u1h2.subtract(x3)).subtract(q[1].multiply(h3)).mod(p);
            return new BigInteger[] {x3, y3, h.multiply(q[2]).mod(p)};
        }
    }

    /** A private key of one of the four kinds. */
    sealed interface Key permits Rsa, Ec, Ed25519, Dsa {
    }

    /** Its primes as Go holds them (two, or more for a multi-prime key). */
    record Rsa(BigInteger n, long e, BigInteger d, List<BigInteger> primes) implements Key {
    }

    record Ec(Curve curve, BigInteger d, BigInteger x, BigInteger y) implements Key {
    }

    /** The 32-byte seed and the public key it makes. */
    record Ed25519(byte[] seed, byte[] publicKey) implements Key {
    }

    record Dsa(BigInteger p, BigInteger q, BigInteger g, BigInteger y, BigInteger x) implements Key {
    }

    /** A public key as Go's x509 reads one from a certificate; equal as Go's Equal methods say. */
    sealed interface Public permits RsaPublic, EcPublic, Ed25519Public, DsaPublic {
    }

    record RsaPublic(BigInteger n, long e) implements Public {
    }

    record EcPublic(Curve curve, BigInteger x, BigInteger y) implements Public {
    }

    /** Hex: records compare arrays by identity. */
    record Ed25519Public(String hex) implements Public {
    }

    /** No Go signer's Equal takes one. */
    record DsaPublic(BigInteger y) implements Public {
    }

    static Public publicKey(Key key) {
        if (key instanceof Rsa k) {
            return new RsaPublic(k.n(), k.e());
        }
        if (key instanceof Ec k) {
            return new EcPublic(k.curve(), k.x(), k.y());
        }
        if (key instanceof Ed25519 k) {
            return new Ed25519Public(java.util.HexFormat.of().formatHex(k.publicKey()));
        }
        return new DsaPublic(((Dsa) key).y());
    }

    // ---- genPrivateKey ----

    /** Sprig's generatePrivateKey: the PEM, or Sprig's message for an unknown type. */
    static String generate(String type) {
        return switch (type) {
            case "", "rsa" -> pem(generateRsa(4096));
            case "dsa" -> pem(generateDsa());
            case "ecdsa" -> pem(generateEc(Curve.P256));
            case "ed25519" -> pem(generateEd25519());
            default -> "Unknown type " + type;
        };
    }

    /** rsa.GenerateKey: the JDK's primes, and d as Go computes it, the inverse of e modulo (p-1)(q-1). */
    static Rsa generateRsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), RANDOM);
            RSAPrivateCrtKey k = (RSAPrivateCrtKey) g.generateKeyPair().getPrivate();
            BigInteger p = k.getPrimeP();
            BigInteger q = k.getPrimeQ();
            BigInteger totient = p.subtract(BigInteger.ONE).multiply(q.subtract(BigInteger.ONE));
            BigInteger e = k.getPublicExponent();
            return new Rsa(k.getModulus(), e.longValueExact(), e.modInverse(totient), List.of(p, q));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static Ec generateEc(Curve curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(curve.params(), RANDOM);
            KeyPair kp = g.generateKeyPair();
            java.security.spec.ECPoint w = ((ECPublicKey) kp.getPublic()).getW();
            return new Ec(curve, ((ECPrivateKey) kp.getPrivate()).getS(), w.getAffineX(), w.getAffineY());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static Ed25519 generateEd25519() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            EdECPrivateKey k = (EdECPrivateKey) g.generateKeyPair().getPrivate();
            byte[] seed = k.getBytes().orElseThrow();
            return new Ed25519(seed, ed25519PublicKey(seed));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** dsa.GenerateParameters(L2048N256) and GenerateKey: new domain parameters for each key, as Go makes them (slow: seconds). */
    static Dsa generateDsa() {
        try {
            AlgorithmParameterGenerator pg = AlgorithmParameterGenerator.getInstance("DSA");
            pg.init(new DSAGenParameterSpec(2048, 256), RANDOM);
            DSAParameterSpec params = pg.generateParameters().getParameterSpec(DSAParameterSpec.class);
            KeyPairGenerator g = KeyPairGenerator.getInstance("DSA");
            g.initialize(params, RANDOM);
            KeyPair kp = g.generateKeyPair();
            return new Dsa(params.getP(), params.getQ(), params.getG(), ((DSAPublicKey) kp.getPublic()).getY(),
                    ((DSAPrivateKey) kp.getPrivate()).getX());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** ed25519.NewKeyFromSeed's public half: the JDK derives it from the 32 bytes its generator draws, so hand it the seed to draw. */
    private static byte[] ed25519PublicKey(byte[] seed) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            g.initialize(NamedParameterSpec.ED25519, new SecureRandom() {
                private static final long serialVersionUID = 1L;

                @Override
                public void nextBytes(byte[] bytes) {
                    System.arraycopy(seed, 0, bytes, 0, bytes.length);
                }
            });
            byte[] spki = g.generateKeyPair().getPublic().getEncoded();
            return Arrays.copyOfRange(spki, spki.length - 32, spki.length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- pemBlockForKey ----

    /** The PEM Sprig writes for a key. */
    static String pem(Key key) {
        if (key instanceof Rsa k) {
            return GoPem.encode("RSA PRIVATE KEY", pkcs1(k));
        }
        if (key instanceof Ec k) {
            return GoPem.encode("EC PRIVATE KEY", Der.sequence(Der.integer(1), Der.octetString(fixed(k.d(), (k.curve().order().bitLength() + 7) / 8)),
                    Der.tlv(Der.explicitTag(0), Der.oid(k.curve().oid)), Der.tlv(Der.explicitTag(1), Der.bitString(point(k.curve(), k.x(), k.y()), 0))));
        }
        if (key instanceof Ed25519 k) {
            return GoPem.encode("PRIVATE KEY", Der.sequence(Der.integer(0), Der.sequence(Der.oid(OID_ED25519)), Der.octetString(Der.octetString(k.seed()))));
        }
        Dsa k = (Dsa) key;
        return GoPem.encode("DSA PRIVATE KEY", Der.sequence(Der.integer(0), Der.integer(k.p()), Der.integer(k.q()), Der.integer(k.g()), Der.integer(k.y()),
                Der.integer(k.x())));
    }

    /** MarshalPKCS1PrivateKey, with the CRT values Go's Precompute derives (not those a parsed key came with). */
    private static byte[] pkcs1(Rsa k) {
        BigInteger p = k.primes().get(0);
        BigInteger q = k.primes().get(1);
        List<byte[]> fields = new ArrayList<>(List.of(Der.integer(k.primes().size() > 2 ? 1 : 0), Der.integer(k.n()), Der.integer(k.e()),
                Der.integer(k.d()), Der.integer(p), Der.integer(q), Der.integer(k.d().mod(p.subtract(BigInteger.ONE))),
                Der.integer(k.d().mod(q.subtract(BigInteger.ONE))), Der.integer(q.modInverse(p))));
        if (k.primes().size() > 2) {
            List<byte[]> additional = new ArrayList<>();
            BigInteger r = p.multiply(q);
            for (BigInteger prime : k.primes().subList(2, k.primes().size())) {
                additional.add(Der.sequence(Der.integer(prime), Der.integer(k.d().mod(prime.subtract(BigInteger.ONE))), Der.integer(r.modInverse(prime))));
                r = r.multiply(prime);
            }
            fields.add(Der.sequence(additional));
        }
        return Der.sequence(fields);
    }

    /** big.Int.FillBytes: the magnitude in exactly {@code length} bytes. */
    static byte[] fixed(BigInteger v, int length) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[length];
        int n = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - n, out, length - n, n);
        return out;
    }

    /** elliptic.Marshal: uncompressed. */
    private static byte[] point(Curve curve, BigInteger x, BigInteger y) {
        int n = curve.coordinateLength();
        byte[] out = new byte[1 + 2 * n];
        out[0] = 4;
        System.arraycopy(fixed(x, n), 0, out, 1, n);
        System.arraycopy(fixed(y, n), 0, out, 1 + n, n);
        return out;
    }

    // ---- parsePrivateKeyPEM ----

    /** Sprig's parsePrivateKeyPEM; a FunctionError with Sprig's message where it fails. */
    static Key parsePem(String pem) {
        GoPem.Block block = GoPem.decode(GoBytes.bytes(pem));
        if (block == null) {
            throw new FunctionError("no PEM data in input");
        }
        String type = block.type();
        if (type.equals("PRIVATE KEY")) {
            return wrapped("decoding PEM as PKCS#8: ", () -> parsePkcs8(block.bytes()));
        }
        if (!type.endsWith(" PRIVATE KEY")) {
            throw new FunctionError("no private key data in PEM block of type " + type);
        }
        return switch (type.substring(0, type.length() - " PRIVATE KEY".length())) {
            case "RSA" -> wrapped("parsing RSA private key from PEM: ", () -> parsePkcs1(block.bytes()));
            case "EC" -> wrapped("parsing EC private key from PEM: ", () -> parseEc(null, block.bytes()));
            case "DSA" -> wrapped("parsing DSA private key from PEM: ", () -> {
                Fields f = new Fields(block.bytes(), "DSAKeyFormat");
                f.integer();
                return new Dsa(f.bigInteger(), f.bigInteger(), f.bigInteger(), f.bigInteger(), f.bigInteger());
            });
            default -> throw new FunctionError("invalid private key type " + type);
        };
    }

    private static Key wrapped(String prefix, java.util.function.Supplier<Key> parse) {
        try {
            return parse.get();
        } catch (Malformed | FunctionError e) {
            throw new FunctionError(prefix + e.getMessage());
        }
    }

    private static boolean parses(Runnable unmarshal) {
        try {
            unmarshal.run();
            return true;
        } catch (Malformed e) {
            return false;
        }
    }

    /** Go's pkcs1PrivateKey as asn1.Unmarshal fills it (the CRT values are read, then ignored as Go ignores them), and where it ends. */
    private record Pkcs1(long version, BigInteger n, long e, BigInteger d, BigInteger p, BigInteger q, List<BigInteger> additionalPrimes, int end) {
    }

    private static Pkcs1 unmarshalPkcs1(byte[] der) {
        Fields f = new Fields(der, "pkcs1PrivateKey");
        long version = f.integer();
        BigInteger n = f.bigInteger();
        long e = f.integer();
        BigInteger d = f.bigInteger();
        BigInteger p = f.bigInteger();
        BigInteger q = f.bigInteger();
        for (int i = 0; i < 3; i++) {
            Element crt = f.optional(Der.INTEGER);
            if (crt != null) {
                crt.bigInteger();
            }
        }
        List<BigInteger> additional = new ArrayList<>();
        Element more = f.optional(Der.SEQUENCE);
        if (more != null) {
            for (Element prime : more.children()) {
                if (prime.tag() != Der.SEQUENCE) {
                    throw Malformed.structure("sequence tag mismatch");
                }
                Fields pf = new Fields(prime);
                additional.add(pf.bigInteger());
                pf.bigInteger();
                pf.bigInteger();
            }
        }
        return new Pkcs1(version, n, e, d, p, q, additional, Der.read(der).end());
    }

    private static void unmarshalEc(byte[] der) {
        Fields f = new Fields(der, "ecPrivateKey");
        f.integer();
        f.next(Der.OCTET_STRING, "");
    }

    private static void unmarshalPkcs8(byte[] der) {
        Fields f = new Fields(der, "pkcs8");
        f.integer();
        new Fields(f.next(Der.SEQUENCE, "AlgorithmIdentifier")).next(Der.OID, "ObjectIdentifier");
        f.next(Der.OCTET_STRING, "");
    }

    /** x509.ParsePKCS1PrivateKey: rsa.PrivateKey.Validate's checks too. */
    static Rsa parsePkcs1(byte[] der) {
        Pkcs1 k;
        try {
            k = unmarshalPkcs1(der);
        } catch (Malformed e) {
            if (parses(() -> unmarshalEc(der))) {
                throw new FunctionError("x509: failed to parse private key (use ParseECPrivateKey instead for this key format)");
            }
            if (parses(() -> unmarshalPkcs8(der))) {
                throw new FunctionError("x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)");
            }
            throw e;
        }
        if (k.end() != der.length) {
            throw Malformed.syntax("trailing data");
        }
        if (k.version() > 1) {
            throw new FunctionError("x509: unsupported private key version");
        }
        BigInteger n = k.n();
        long e = k.e();
        BigInteger d = k.d();
        List<BigInteger> primes = new ArrayList<>(List.of(k.p(), k.q()));
        if (n.signum() <= 0 || d.signum() <= 0 || k.p().signum() <= 0 || k.q().signum() <= 0) {
            throw new FunctionError("x509: private key contains zero or negative value");
        }
        for (BigInteger prime : k.additionalPrimes()) {
            if (prime.signum() <= 0) {
                throw new FunctionError("x509: private key contains zero or negative prime");
            }
            primes.add(prime);
        }
        if (e < 2) {
            throw new FunctionError("crypto/rsa: public exponent too small");
        }
        if (e > Integer.MAX_VALUE) {
            throw new FunctionError("crypto/rsa: public exponent too large");
        }
        BigInteger modulus = BigInteger.ONE;
        for (BigInteger prime : primes) {
            if (prime.compareTo(BigInteger.ONE) <= 0) {
                throw new FunctionError("crypto/rsa: invalid prime value");
            }
            modulus = modulus.multiply(prime);
        }
        if (!modulus.equals(n)) {
            throw new FunctionError("crypto/rsa: invalid modulus");
        }
        BigInteger de = d.multiply(BigInteger.valueOf(e));
        for (BigInteger prime : primes) {
            if (!de.mod(prime.subtract(BigInteger.ONE)).equals(BigInteger.ONE)) {
                throw new FunctionError("crypto/rsa: invalid exponents");
            }
        }
        return new Rsa(n, e, d, List.copyOf(primes));
    }

    /** x509's parseECPrivateKey: the public key computed again from the private one, as Go does. */
    static Ec parseEc(String namedCurveOid, byte[] der) {
        Fields f;
        long version;
        byte[] privateKey;
        Element curveField;
        try {
            f = new Fields(der, "ecPrivateKey");
            version = f.integer();
            privateKey = f.next(Der.OCTET_STRING, "").content();
            curveField = f.optional(Der.explicitTag(0));
            f.optional(Der.explicitTag(1));
        } catch (Malformed e) {
            if (parses(() -> unmarshalPkcs8(der))) {
                throw new FunctionError("x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)");
            }
            if (parses(() -> unmarshalPkcs1(der))) {
                throw new FunctionError("x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)");
            }
            throw new FunctionError("x509: failed to parse EC private key: " + e.getMessage());
        }
        if (version != 1) {
            throw new FunctionError("x509: unknown EC private key version " + version);
        }
        String oid = namedCurveOid;
        if (oid == null && curveField != null) {
            oid = Der.read(curveField.src(), curveField.contentStart(), curveField.end()).oid();
        }
        Curve curve = oid == null ? null : Curve.byOid(oid);
        if (curve == null) {
            throw new FunctionError("x509: unknown elliptic curve");
        }
        BigInteger k = new BigInteger(1, privateKey);
        if (k.compareTo(curve.order()) >= 0) {
            throw new FunctionError("x509: invalid elliptic curve private key value");
        }
        int length = (curve.order().bitLength() + 7) / 8;
        for (int i = 0; i < privateKey.length - length; i++) {
            if (privateKey[i] != 0) {
                throw new FunctionError("x509: invalid private key length");
            }
        }
        BigInteger[] pub = curve.multiplyBase(k);
        return new Ec(curve, k, pub[0], pub[1]);
    }

    /** x509.ParsePKCS8PrivateKey: RSA, ECDSA and Ed25519 (what Go 1.19 knows). */
    static Key parsePkcs8(byte[] der) {
        Fields f;
        String algorithm;
        Element params;
        byte[] privateKey;
        try {
            f = new Fields(der, "pkcs8");
            f.integer();
            Fields ai = new Fields(f.next(Der.SEQUENCE, "AlgorithmIdentifier"));
            algorithm = ai.next(Der.OID, "ObjectIdentifier").oid();
            params = ai.hasMore() ? ai.any() : null;
            privateKey = f.next(Der.OCTET_STRING, "").content();
        } catch (Malformed e) {
            if (parses(() -> unmarshalEc(der))) {
                throw new FunctionError("x509: failed to parse private key (use ParseECPrivateKey instead for this key format)");
            }
            if (parses(() -> unmarshalPkcs1(der))) {
                throw new FunctionError("x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)");
            }
            throw e;
        }
        if (algorithm == null) {
            throw Malformed.structure("invalid object identifier");
        }
        switch (algorithm) {
            case OID_RSA:
                try {
                    return parsePkcs1(privateKey);
                } catch (Malformed | FunctionError e) {
                    throw new FunctionError("x509: failed to parse RSA private key embedded in PKCS#8: " + e.getMessage());
                }
            case OID_EC:
                try {
                    String curveOid = params != null && params.tag() == Der.OID ? params.oid() : null;
                    return parseEc(curveOid, privateKey);
                } catch (Malformed | FunctionError e) {
                    throw new FunctionError("x509: failed to parse EC private key embedded in PKCS#8: " + e.getMessage());
                }
            case OID_ED25519:
                if (params != null) {
                    throw new FunctionError("x509: invalid Ed25519 private key parameters");
                }
                byte[] seed;
                try {
                    Element e = Der.read(privateKey);
                    if (e.tag() != Der.OCTET_STRING) {
                        throw Malformed.structure("tags don't match");
                    }
                    seed = e.content();
                } catch (Malformed e) {
                    throw new FunctionError("x509: invalid Ed25519 private key: " + e.getMessage());
                }
                if (seed.length != 32) {
                    throw new FunctionError("x509: invalid Ed25519 private key length: " + seed.length);
                }
                return new Ed25519(seed, ed25519PublicKey(seed));
            default:
                throw new FunctionError("x509: PKCS#8 wrapping contained private key with unknown algorithm: " + algorithm);
        }
    }

    // ---- what x509.CreateCertificate does with keys ----

    /** marshalPublicKey: {the AlgorithmIdentifier, the key's bytes}. */
    static byte[][] marshalPublicKey(Public key) {
        if (key instanceof RsaPublic k) {
            return new byte[][] {Der.sequence(Der.oid(OID_RSA), Der.nullValue()), Der.sequence(Der.integer(k.n()), Der.integer(k.e()))};
        }
        if (key instanceof EcPublic k) {
            if (!k.curve().onCurve(k.x(), k.y())) {
                throw new FunctionError("x509: invalid elliptic curve public key");
            }
            return new byte[][] {Der.sequence(Der.oid(OID_EC), Der.oid(k.curve().oid)), point(k.curve(), k.x(), k.y())};
        }
        if (key instanceof Ed25519Public k) {
            return new byte[][] {Der.sequence(Der.oid(OID_ED25519)), java.util.HexFormat.of().parseHex(k.hex())};
        }
        throw new FunctionError("x509: unsupported public key type: *dsa.PublicKey");
    }

    /** Whether the key can sign (is a crypto.Signer): DSA keys cannot. */
    static boolean isSigner(Key key) {
        return !(key instanceof Dsa);
    }

    /** signingParamsForPublicKey's AlgorithmIdentifier. */
    static byte[] signatureAlgorithm(Key signer) {
        if (signer instanceof Rsa) {
            return Der.sequence(Der.oid("1.2.840.113549.1.1.11"), Der.nullValue());
        }
        if (signer instanceof Ec k) {
            return Der.sequence(Der.oid(k.curve().signatureOid));
        }
        if (signer instanceof Ed25519) {
            return Der.sequence(Der.oid(OID_ED25519));
        }
        throw new IllegalArgumentException("DSA keys do not sign");
    }

    /** The signature x509 makes: PKCS #1 v1.5 with SHA-256, ECDSA (ASN.1) with the curve's hash, pure Ed25519. */
    static byte[] sign(Key signer, byte[] tbs) {
        try {
            Signature s;
            if (signer instanceof Rsa k) {
                // rsa.SignPKCS1v15's ErrMessageTooLong: the DigestInfo of SHA-256 (51 bytes) and 11 of padding must fit
                if ((k.n().bitLength() + 7) / 8 < 51 + 11) {
                    throw new FunctionError("crypto/rsa: message too long for RSA public key size");
                }
                s = Signature.getInstance("SHA256withRSA");
                s.initSign(KeyFactory.getInstance("RSA").generatePrivate(rsaSpec(k)));
            } else if (signer instanceof Ec k) {
                if (k.curve() == Curve.P224) {
                    return ecdsa(k, MessageDigest.getInstance(k.curve().hash).digest(tbs));
                }
                s = Signature.getInstance(k.curve().hash.replace("-", "") + "withECDSA");
                s.initSign(KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(k.d(), k.curve().params())), RANDOM);
            } else if (signer instanceof Ed25519 k) {
                s = Signature.getInstance("Ed25519");
                s.initSign(KeyFactory.getInstance("Ed25519").generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, k.seed())));
            } else {
                throw new IllegalArgumentException("DSA keys do not sign");
            }
            s.update(tbs);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new FunctionError(e.getMessage());
        }
    }

    private static java.security.spec.KeySpec rsaSpec(Rsa k) {
        if (k.primes().size() != 2) {
            return new RSAPrivateKeySpec(k.n(), k.d());
        }
        BigInteger p = k.primes().get(0);
        BigInteger q = k.primes().get(1);
        return new RSAPrivateCrtKeySpec(k.n(), BigInteger.valueOf(k.e()), k.d(), p, q, k.d().mod(p.subtract(BigInteger.ONE)),
                k.d().mod(q.subtract(BigInteger.ONE)), q.modInverse(p));
    }

    /** ECDSA by hand for the curve the JDK no longer signs on (P-224): r and s as an ASN.1 sequence. */
    private static byte[] ecdsa(Ec key, byte[] digest) {
        BigInteger n = key.curve().order();
        int orderBits = n.bitLength();
        byte[] h = digest.length > (orderBits + 7) / 8 ? Arrays.copyOf(digest, (orderBits + 7) / 8) : digest;
        BigInteger e = new BigInteger(1, h);
        if (h.length * 8 > orderBits) {
            e = e.shiftRight(h.length * 8 - orderBits);
        }
        while (true) {
            BigInteger k = new BigInteger(orderBits + 64, RANDOM).mod(n.subtract(BigInteger.ONE)).add(BigInteger.ONE);
            BigInteger r = key.curve().multiplyBase(k)[0].mod(n);
            if (r.signum() == 0) {
                continue;
            }
            BigInteger s = k.modInverse(n).multiply(e.add(r.multiply(key.d()))).mod(n);
            if (s.signum() != 0) {
                return Der.sequence(Der.integer(r), Der.integer(s));
            }
        }
    }

    // ---- a certificate's public key (x509's parsePublicKey) ----

    /** The public key of a SubjectPublicKeyInfo's algorithm and bits; null for an algorithm Go does not know. */
    static Public parsePublicKey(String algorithm, Element params, byte[] key) {
        switch (algorithm) {
            case OID_RSA: {
                if (params == null || !Arrays.equals(params.encoded(), Der.nullValue())) {
                    throw new FunctionError("x509: RSA key missing NULL parameters");
                }
                Element seq = readOr(key, Der.SEQUENCE, "x509: invalid RSA public key");
                List<Element> parts = childrenOr(seq, "x509: invalid RSA public key");
                BigInteger n = integerOr(parts, 0, "x509: invalid RSA modulus");
                BigInteger e = integerOr(parts, 1, "x509: invalid RSA public exponent");
                if (e.bitLength() > 63) {
                    throw new FunctionError("x509: invalid RSA public exponent");
                }
                if (n.signum() <= 0) {
                    throw new FunctionError("x509: RSA modulus is not a positive number");
                }
                if (e.signum() <= 0) {
                    throw new FunctionError("x509: RSA public exponent is not a positive number");
                }
                return new RsaPublic(n, e.longValue());
            }
            case OID_EC: {
                String oid = params == null ? null : params.oid();
                if (oid == null) {
                    throw new FunctionError("x509: invalid ECDSA parameters");
                }
                Curve curve = Curve.byOid(oid);
                if (curve == null) {
                    throw new FunctionError("x509: unsupported elliptic curve");
                }
                int n = curve.coordinateLength();
                if (key.length != 1 + 2 * n || key[0] != 4) {
                    throw new FunctionError("x509: failed to unmarshal elliptic curve point");
                }
                BigInteger x = new BigInteger(1, Arrays.copyOfRange(key, 1, 1 + n));
                BigInteger y = new BigInteger(1, Arrays.copyOfRange(key, 1 + n, key.length));
                if (!curve.onCurve(x, y)) {
                    throw new FunctionError("x509: failed to unmarshal elliptic curve point");
                }
                return new EcPublic(curve, x, y);
            }
            case OID_ED25519:
                if (params != null) {
                    throw new FunctionError("x509: Ed25519 key encoded with illegal parameters");
                }
                if (key.length != 32) {
                    throw new FunctionError("x509: wrong Ed25519 public key size");
                }
                return new Ed25519Public(java.util.HexFormat.of().formatHex(key));
            case "1.2.840.10040.4.1": {
                BigInteger y;
                try {
                    Element e = Der.read(key);
                    y = e.tag() == Der.INTEGER ? e.bigInteger() : null;
                } catch (Malformed e) {
                    y = null;
                }
                if (y == null) {
                    throw new FunctionError("x509: invalid DSA public key");
                }
                if (params == null || params.tag() != Der.SEQUENCE) {
                    throw new FunctionError("x509: invalid DSA parameters");
                }
                List<Element> pqg = childrenOr(params, "x509: invalid DSA parameters");
                for (int i = 0; i < 3; i++) {
                    if (integerOr(pqg, i, "x509: invalid DSA parameters").signum() <= 0) {
                        throw new FunctionError("x509: zero or negative DSA parameter");
                    }
                }
                if (y.signum() <= 0) {
                    throw new FunctionError("x509: zero or negative DSA parameter");
                }
                return new DsaPublic(y);
            }
            default:
                return null;
        }
    }

    private static Element readOr(byte[] der, int tag, String error) {
        try {
            Element e = Der.read(der);
            if (e.tag() == tag) {
                return e;
            }
        } catch (Malformed e) {
            // as below
        }
        throw new FunctionError(error);
    }

    private static List<Element> childrenOr(Element e, String error) {
        try {
            return e.children();
        } catch (Malformed m) {
            throw new FunctionError(error);
        }
    }

    private static BigInteger integerOr(List<Element> parts, int i, String error) {
        try {
            if (i < parts.size() && parts.get(i).tag() == Der.INTEGER) {
                return parts.get(i).bigInteger();
            }
        } catch (Malformed e) {
            // as below
        }
        throw new FunctionError(error);
    }
}
