package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.Der.Element;
import io.ironbell.engine.internal.gotemplate.Der.Malformed;
import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import io.ironbell.engine.internal.gotemplate.GoValues.GoStruct;
import io.ironbell.engine.internal.gotemplate.PrivateKeys.Key;
import io.ironbell.engine.internal.gotemplate.PrivateKeys.Public;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sprig's certificate functions: the certificate Go 1.19's x509.CreateCertificate makes from
 * Sprig's template (getBaseCertTemplate), the same DER field by field and extension by extension,
 * signed with java.security; the result in Sprig's {@code certificate} struct of PEM texts; Sprig's
 * and Go's errors.
 */
final class Certificates {

    private Certificates() {
    }

    /** reflect's name of Sprig's unexported struct type. */
    static final String TYPE = "sprig.certificate";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long NANOS_PER_DAY = 24 * 3600 * 1_000_000_000L;

    static GoStruct certificate(String cert, String key) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("Cert", cert);
        fields.put("Key", key);
        return new GoStruct(TYPE, fields);
    }

    /** What a parsed CA certificate gives those it signs: its subject as written, its key id, its public key (null for an algorithm Go does not know). */
    private record Issuer(byte[] rawSubject, byte[] subjectKeyId, Public publicKey) {
    }

    /** Sprig's template: what varies from one certificate to another. */
    private record Template(BigInteger serial, String commonName, List<byte[]> ips, List<String> dnsNames, long notBefore, long notAfter, boolean ca) {
    }

    // ---- the functions ----

    /** buildCustomCertificate: both texts checked as Go reads them, returned as they came. */
    static GoStruct buildCustom(String b64cert, String b64key) {
        byte[] cert;
        byte[] key;
        try {
            cert = SprigMore.base64Decode(GoBytes.bytes(b64cert));
        } catch (FunctionError e) {
            throw new FunctionError("unable to decode base64 certificate");
        }
        try {
            key = SprigMore.base64Decode(GoBytes.bytes(b64key));
        } catch (FunctionError e) {
            throw new FunctionError("unable to decode base64 private key");
        }
        GoPem.Block block = GoPem.decode(cert);
        if (block == null) {
            throw new FunctionError("unable to decode certificate");
        }
        try {
            parse(block.bytes());
        } catch (FunctionError e) {
            throw new FunctionError("error parsing certificate: decodedCert.Bytes: " + e.getMessage());
        }
        try {
            PrivateKeys.parsePem(GoBytes.string(key));
        } catch (FunctionError e) {
            throw new FunctionError("error parsing private key: " + e.getMessage());
        }
        return certificate(GoBytes.string(cert), GoBytes.string(key));
    }

    /** generateCertificateAuthorityWithKeyInternal. */
    static GoStruct authority(String cn, long days, Key key) {
        return create(template(cn, null, null, days, true), key, null, key);
    }

    /** generateSelfSignedCertificateWithKeyInternal. */
    static GoStruct selfSigned(String cn, List<?> ips, List<?> dnsNames, long days, Key key) {
        return create(template(cn, ips, dnsNames, days, false), key, null, key);
    }

    /** generateSignedCertificateWithKeyInternal: signed by the certificate and key of {@code ca}. */
    static GoStruct signed(String cn, List<?> ips, List<?> dnsNames, long days, GoStruct ca, Key key) {
        GoPem.Block block = GoPem.decode(GoBytes.bytes((String) ca.fields().get("Cert")));
        if (block == null) {
            throw new FunctionError("unable to decode certificate");
        }
        Issuer parent;
        try {
            parent = parse(block.bytes());
        } catch (FunctionError e) {
            throw new FunctionError("error parsing certificate: decodedSignerCert.Bytes: " + e.getMessage());
        }
        Key signerKey;
        try {
            signerKey = PrivateKeys.parsePem((String) ca.fields().get("Key"));
        } catch (FunctionError e) {
            throw new FunctionError("error parsing private key: " + e.getMessage());
        }
        return create(template(cn, ips, dnsNames, days, false), key, parent, signerKey);
    }

    /**
     * getBaseCertTemplate: the addresses and names checked, a random serial number below 2^128,
     * valid from now for {@code days}; for a CA, what generateCertificateAuthority changes in it.
     */
    private static Template template(String cn, List<?> ips, List<?> dnsNames, long days, boolean ca) {
        List<byte[]> addresses = new ArrayList<>();
        for (Object ip : ips == null ? List.of() : ips) {
            if (!(ip instanceof String s)) {
                throw new FunctionError("error parsing ip: " + GoFmt.sprint(java.util.Collections.singletonList(ip)) + " is not a string");
            }
            byte[] parsed = TinkerbellFunctions.parseIp(s);
            if (parsed == null) {
                throw new FunctionError("error parsing ip: " + s);
            }
            byte[] v4 = TinkerbellFunctions.to4(parsed);
            addresses.add(v4 != null ? v4 : parsed);
        }
        List<String> names = new ArrayList<>();
        for (Object name : dnsNames == null ? List.of() : dnsNames) {
            if (!(name instanceof String s)) {
                throw new FunctionError("error processing alternate dns name: " + GoFmt.sprint(java.util.Collections.singletonList(name))
                        + " is not a string");
            }
            names.add(s);
        }
        BigInteger serial = new BigInteger(128, RANDOM);
        Instant now = Instant.now();
        // time.Hour * 24 * time.Duration(daysValid) wraps as Go's int64 does; the seconds are what DER keeps
        long validity = NANOS_PER_DAY * days;
        long nanos = now.getNano() + Math.floorMod(validity, 1_000_000_000L);
        long notAfter = now.getEpochSecond() + Math.floorDiv(validity, 1_000_000_000L) + nanos / 1_000_000_000L;
        return new Template(serial, cn, addresses, names, now.getEpochSecond(), notAfter, ca);
    }

    /** getCertAndKey: x509.CreateCertificate of the template for {@code key}, signed by {@code signer} (self-signed without a parent). */
    private static GoStruct create(Template t, Key key, Issuer parent, Key signer) {
        try {
            if (!PrivateKeys.isSigner(signer)) {
                throw new FunctionError("x509: certificate private key does not implement crypto.Signer");
            }
            byte[] signatureAlgorithm = PrivateKeys.signatureAlgorithm(signer);
            byte[][] publicKey = PrivateKeys.marshalPublicKey(PrivateKeys.publicKey(key));
            byte[] subject = subject(t.commonName());
            byte[] issuer = parent == null ? subject : parent.rawSubject();
            byte[] authorityKeyId = parent != null && !Arrays.equals(issuer, subject) && parent.subjectKeyId() != null
                    && parent.subjectKeyId().length > 0 ? parent.subjectKeyId() : null;
            // RFC 5280's method 1, as Go does for a CA without one
            byte[] subjectKeyId = t.ca() ? sha1(publicKey[1]) : null;
            if (parent != null && parent.publicKey() != null && !parent.publicKey().equals(PrivateKeys.publicKey(signer))) {
                throw new FunctionError("x509: provided PrivateKey doesn't match parent's PublicKey");
            }
            byte[] tbs = Der.sequence(Der.tlv(Der.explicitTag(0), Der.integer(2)), Der.integer(t.serial()), signatureAlgorithm, issuer,
                    Der.sequence(Der.time(t.notBefore()), Der.time(t.notAfter())), subject,
                    Der.sequence(publicKey[0], Der.bitString(publicKey[1], 0)),
                    Der.tlv(Der.explicitTag(3), Der.sequence(extensions(t, Arrays.equals(subject, Der.sequence()), authorityKeyId, subjectKeyId))));
            byte[] der = Der.sequence(tbs, signatureAlgorithm, Der.bitString(PrivateKeys.sign(signer, tbs), 0));
            return certificate(GoPem.encode("CERTIFICATE", der), PrivateKeys.pem(key));
        } catch (FunctionError e) {
            throw new FunctionError("error creating certificate: " + e.getMessage());
        }
    }

    /** pkix.Name{CommonName: cn}.ToRDNSequence() as encoding/asn1 writes it: PrintableString where it can, UTF8String otherwise. */
    private static byte[] subject(String cn) {
        if (cn.isEmpty()) {
            return Der.sequence();
        }
        byte[] bytes = GoBytes.bytes(cn);
        boolean printable = true;
        for (byte b : bytes) {
            printable &= b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= '\'' && b <= ')' || b >= '+' && b <= '/'
                    || b == ' ' || b == ':' || b == '=' || b == '?';
        }
        if (!printable) {
            try {
                StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes));
            } catch (CharacterCodingException e) {
                throw new FunctionError("asn1: string not valid UTF-8");
            }
        }
        byte[] value = Der.tlv(printable ? Der.PRINTABLE_STRING : Der.UTF8_STRING, bytes);
        return Der.sequence(Der.tlv(Der.SET, Der.sequence(Der.oid("2.5.4.3"), value)));
    }

    /** buildCertExtensions for Sprig's templates: key usage, extended key usage, basic constraints, key ids, alternative names. */
    private static List<byte[]> extensions(Template t, boolean subjectIsEmpty, byte[] authorityKeyId, byte[] subjectKeyId) {
        List<byte[]> out = new ArrayList<>();
        // digitalSignature and keyEncipherment (bits 0 and 2), and keyCertSign (bit 5) for a CA: a BIT STRING to its last set bit
        out.add(extension("2.5.29.15", true, t.ca() ? Der.bitString(new byte[] {(byte) 0xa4}, 2) : Der.bitString(new byte[] {(byte) 0xa0}, 5)));
        out.add(extension("2.5.29.37", false, Der.sequence(Der.oid("1.3.6.1.5.5.7.3.1"), Der.oid("1.3.6.1.5.5.7.3.2"))));
        out.add(extension("2.5.29.19", true, t.ca() ? Der.sequence(Der.bool(true)) : Der.sequence()));
        if (subjectKeyId != null) {
            out.add(extension("2.5.29.14", false, Der.octetString(subjectKeyId)));
        }
        if (authorityKeyId != null) {
            out.add(extension("2.5.29.35", false, Der.sequence(Der.tlv(Der.implicitTag(0), authorityKeyId))));
        }
        if (!t.dnsNames().isEmpty() || !t.ips().isEmpty()) {
            List<byte[]> names = new ArrayList<>();
            for (String name : t.dnsNames()) {
                byte[] bytes = GoBytes.bytes(name);
                for (byte b : bytes) {
                    if (b < 0) {
                        throw new FunctionError("x509: " + GoFmt.quote(name) + " cannot be encoded as an IA5String");
                    }
                }
                names.add(Der.tlv(Der.implicitTag(2), bytes));
            }
            for (byte[] ip : t.ips()) {
                names.add(Der.tlv(Der.implicitTag(7), ip));
            }
            out.add(extension("2.5.29.17", subjectIsEmpty, Der.sequence(names)));
        }
        return out;
    }

    /** pkix.Extension: critical written only when true. */
    private static byte[] extension(String oid, boolean critical, byte[] value) {
        return critical ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octetString(value)) : Der.sequence(Der.oid(oid), Der.octetString(value));
    }

    private static byte[] sha1(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- x509.ParseCertificate ----

    /**
     * Go 1.19's parseCertificate, its checks of the structure and their errors, to what signing
     * takes: the subject, the subject key id and the public key. The contents of other extensions
     * are not checked.
     */
    static Issuer parse(byte[] der) {
        try {
            return parseOrFail(der);
        } catch (Malformed e) {
            throw new FunctionError("x509: malformed certificate");
        }
    }

    private static Issuer parseOrFail(byte[] der) {
        Element cert = read(der, 0, der.length, Der.SEQUENCE, "x509: malformed certificate");
        int[] outer = {cert.contentStart()};
        Element tbsElement = next(cert, outer, Der.SEQUENCE, "x509: malformed tbs certificate");
        int[] at = {tbsElement.contentStart()};
        long version = 0;
        if (peek(tbsElement, at) == Der.explicitTag(0)) {
            Element wrapper = next(tbsElement, at, Der.explicitTag(0), "x509: malformed version");
            int[] inner = {wrapper.contentStart()};
            Element v = next(wrapper, inner, Der.INTEGER, "x509: malformed version");
            if (inner[0] != wrapper.end() || !minimal(v) || v.length() > 8) {
                throw new FunctionError("x509: malformed version");
            }
            version = new BigInteger(v.content()).longValue();
        }
        if (version < 0) {
            throw new FunctionError("x509: malformed version");
        }
        version++;
        if (version > 3) {
            throw new FunctionError("x509: invalid version");
        }
        if (!minimal(next(tbsElement, at, Der.INTEGER, "x509: malformed serial number"))) {
            throw new FunctionError("x509: malformed serial number");
        }
        Element signatureAlgorithm = next(tbsElement, at, Der.SEQUENCE, "x509: malformed signature algorithm identifier");
        Element outerAlgorithm = next(cert, outer, Der.SEQUENCE, "x509: malformed algorithm identifier");
        if (!Arrays.equals(signatureAlgorithm.content(), outerAlgorithm.content())) {
            throw new FunctionError("x509: inner and outer signature algorithm identifiers don't match");
        }
        algorithmIdentifier(signatureAlgorithm);
        name(next(tbsElement, at, Der.SEQUENCE, "x509: malformed issuer"));
        Element validity = next(tbsElement, at, Der.SEQUENCE, "x509: malformed validity");
        int[] v = {validity.contentStart()};
        time(validity, v);
        time(validity, v);
        Element subject = next(tbsElement, at, Der.SEQUENCE, "x509: malformed issuer");
        name(subject);
        Element spki = next(tbsElement, at, Der.SEQUENCE, "x509: malformed spki");
        int[] s = {spki.contentStart()};
        Object[] algorithm = algorithmIdentifier(next(spki, s, Der.SEQUENCE, "x509: malformed public key algorithm identifier"));
        byte[] keyBits = bitString(spki, s, "x509: malformed subjectPublicKey");
        Public publicKey = PrivateKeys.parsePublicKey((String) algorithm[0], (Element) algorithm[1], keyBits);
        byte[] subjectKeyId = null;
        if (version > 1) {
            skipOptional(tbsElement, at, Der.implicitTag(1), "x509: malformed issuerUniqueID");
            skipOptional(tbsElement, at, Der.implicitTag(2), "x509: malformed subjectUniqueID");
            if (version == 3 && peek(tbsElement, at) == Der.explicitTag(3)) {
                Element wrapper = next(tbsElement, at, Der.explicitTag(3), "x509: malformed extensions");
                Element list = next(wrapper, new int[] {wrapper.contentStart()}, Der.SEQUENCE, "x509: malformed extensions");
                Set<String> seen = new HashSet<>();
                int[] e = {list.contentStart()};
                while (e[0] < list.end()) {
                    Element extension = next(list, e, Der.SEQUENCE, "x509: malformed extension");
                    int[] f = {extension.contentStart()};
                    String oid = next(extension, f, Der.OID, "x509: malformed extension OID field").oid();
                    if (oid == null) {
                        throw new FunctionError("x509: malformed extension OID field");
                    }
                    if (peek(extension, f) == Der.BOOLEAN) {
                        Element critical = next(extension, f, Der.BOOLEAN, "x509: malformed extension critical field");
                        if (critical.length() != 1 || critical.content()[0] != 0 && critical.content()[0] != (byte) 0xff) {
                            throw new FunctionError("x509: malformed extension critical field");
                        }
                    }
                    Element value = next(extension, f, Der.OCTET_STRING, "x509: malformed extension value field");
                    if (!seen.add(oid)) {
                        throw new FunctionError("x509: certificate contains duplicate extensions");
                    }
                    if (oid.equals("2.5.29.14")) {
                        subjectKeyId = read(value.src(), value.contentStart(), value.end(), Der.OCTET_STRING, "x509: invalid subject key identifier")
                                .content();
                    }
                }
            }
        }
        bitString(cert, outer, "x509: malformed signature");
        if (cert.end() != der.length) {
            throw new FunctionError("x509: trailing data");
        }
        return new Issuer(subject.encoded(), subjectKeyId, publicKey);
    }

    /** cryptobyte's ReadASN1: the element at {@code from} if it has the tag, else the error. */
    private static Element read(byte[] src, int from, int limit, int tag, String error) {
        try {
            Element e = Der.read(src, from, limit);
            if (e.tag() == tag) {
                return e;
            }
        } catch (Malformed e) {
            // as below
        }
        throw new FunctionError(error);
    }

    private static Element next(Element parent, int[] at, int tag, String error) {
        Element e = read(parent.src(), at[0], parent.end(), tag, error);
        at[0] = e.end();
        return e;
    }

    /** The tag of the next element, -1 at the end. */
    private static int peek(Element parent, int[] at) {
        return at[0] < parent.end() ? parent.src()[at[0]] & 0xff : -1;
    }

    private static void skipOptional(Element parent, int[] at, int tag, String error) {
        if (peek(parent, at) == tag) {
            next(parent, at, tag, error);
        }
    }

    private static boolean minimal(Element integer) {
        try {
            integer.bigInteger();
            return true;
        } catch (Malformed e) {
            return false;
        }
    }

    /** ReadASN1BitString: the padding bits zero, the bytes whole for what is read here. */
    private static byte[] bitString(Element parent, int[] at, String error) {
        Element e = next(parent, at, Der.BIT_STRING, error);
        byte[] c = e.content();
        int padding = c.length == 0 ? 8 : c[0] & 0xff;
        if (padding > 7 || c.length == 1 && padding != 0 || c.length > 1 && (c[c.length - 1] & (1 << padding) - 1) != 0) {
            throw new FunctionError(error);
        }
        return Arrays.copyOfRange(c, 1, c.length);
    }

    /** parseAI: {its OID, its parameters or null}. */
    private static Object[] algorithmIdentifier(Element ai) {
        int[] at = {ai.contentStart()};
        String oid = next(ai, at, Der.OID, "x509: malformed OID").oid();
        if (oid == null) {
            throw new FunctionError("x509: malformed OID");
        }
        Element params = null;
        if (at[0] < ai.end()) {
            try {
                params = Der.read(ai.src(), at[0], ai.end());
            } catch (Malformed e) {
                throw new FunctionError("x509: malformed parameters");
            }
        }
        return new Object[] {oid, params};
    }

    /** parseName: a sequence of sets of attributes whose values are strings Go reads. */
    private static void name(Element name) {
        int[] at = {name.contentStart()};
        while (at[0] < name.end()) {
            Element set = next(name, at, Der.SET, "x509: invalid RDNSequence");
            int[] s = {set.contentStart()};
            while (s[0] < set.end()) {
                Element attribute = next(set, s, Der.SEQUENCE, "x509: invalid RDNSequence: invalid attribute");
                int[] a = {attribute.contentStart()};
                if (next(attribute, a, Der.OID, "x509: invalid RDNSequence: invalid attribute type").oid() == null) {
                    throw new FunctionError("x509: invalid RDNSequence: invalid attribute type");
                }
                Element value;
                try {
                    value = Der.read(attribute.src(), a[0], attribute.end());
                } catch (Malformed e) {
                    throw new FunctionError("x509: invalid RDNSequence: invalid attribute value");
                }
                String problem = stringProblem(value);
                if (problem != null) {
                    throw new FunctionError("x509: invalid RDNSequence: invalid attribute value: " + problem);
                }
            }
        }
    }

    /** parseASN1String's objection to a value, or null. */
    private static String stringProblem(Element value) {
        byte[] c = value.content();
        switch (value.tag()) {
            case 0x14:
                return null;
            case Der.PRINTABLE_STRING:
                for (byte b : c) {
                    if (!(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= '\'' && b <= ')' || b >= '+' && b <= '/'
                            || b == ' ' || b == ':' || b == '=' || b == '?' || b == '*' || b == '&')) {
                        return "invalid PrintableString";
                    }
                }
                return null;
            case Der.UTF8_STRING:
                try {
                    StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(c));
                    return null;
                } catch (CharacterCodingException e) {
                    return "invalid UTF-8 string";
                }
            case 0x1e:
                return c.length % 2 != 0 ? "invalid BMPString" : null;
            case 0x16:
                for (byte b : c) {
                    if (b < 0) {
                        return "invalid IA5String";
                    }
                }
                return null;
            case 0x12:
                for (byte b : c) {
                    if (!(b >= '0' && b <= '9' || b == ' ')) {
                        return "invalid NumericString";
                    }
                }
                return null;
            default:
                return "unsupported string type: " + value.tag();
        }
    }

    /** parseTime: a UTCTime or GeneralizedTime that Go's layouts read and write back the same. */
    private static void time(Element validity, int[] at) {
        int tag = peek(validity, at);
        if (tag != Der.UTC_TIME && tag != Der.GENERALIZED_TIME) {
            throw new FunctionError("x509: unsupported time format");
        }
        String error = tag == Der.UTC_TIME ? "x509: malformed UTCTime" : "x509: malformed GeneralizedTime";
        String text = GoBytes.string(next(validity, at, tag, error).content());
        List<String> layouts = tag == Der.UTC_TIME ? List.of("060102150405Z0700", "0601021504Z0700") : List.of("20060102150405Z0700");
        for (String layout : layouts) {
            try {
                if (GoTime.parse(layout, text).format(layout).equals(text)) {
                    return;
                }
                break;
            } catch (FunctionError e) {
                // the next layout, as cryptobyte tries it
            }
        }
        throw new FunctionError(error);
    }
}
