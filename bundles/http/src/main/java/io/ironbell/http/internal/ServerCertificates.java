package io.ironbell.http.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTPS listener's certificate when the operator gives none: a CA of this installation and a
 * server certificate it signs, in {@code data/tls/} (every file 0600): {@code ca.pem},
 * {@code ca-key.pem}, {@code server.pem} (the server's certificate, then the CA's) and
 * {@code server-key.pem}. The CA is made once and kept, so a fingerprint that machines and CLIs
 * pinned stays good; the server certificate is issued again when it expires within 30 days or does
 * not name one of this host's addresses (an address added since). Keys are EC P-256: handshakes
 * cost a fraction of RSA's.
 *
 * <p>BouncyCastle's bcpkix builds the certificates: the JDK can sign but has no public API to
 * write an X.509 certificate, and a certificate written by hand-made DER would be code of our own
 * where a review expects a well-kept library.
 */
final class ServerCertificates {

    static final String CA = "ca.pem";
    static final String CA_KEY = "ca-key.pem";
    static final String CHAIN = "server.pem";
    static final String KEY = "server-key.pem";

    private static final Logger LOG = LoggerFactory.getLogger(ServerCertificates.class);
    private static final Duration CA_LIFETIME = Duration.ofDays(3650);
    private static final Duration SERVER_LIFETIME = Duration.ofDays(397);
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private ServerCertificates() {
    }

    /**
     * Makes sure {@code dir} holds a CA and a server certificate for {@code names}, making what is
     * missing or no longer fits.
     *
     * @param names DNS names and IP addresses the server certificate must carry
     */
    static void ensure(Path dir, Collection<String> names) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        try {
            Path caFile = dir.resolve(CA);
            Path caKeyFile = dir.resolve(CA_KEY);
            if (!Files.isRegularFile(caFile) || !Files.isRegularFile(caKeyFile)) {
                makeCa(dir);
            }
            X509Certificate ca = certificates(caFile).get(0);
            PrivateKey caKey = privateKey(caKeyFile);
            Path chain = dir.resolve(CHAIN);
            String why = Files.isRegularFile(chain) && Files.isRegularFile(dir.resolve(KEY)) ? unfit(certificates(chain), ca, names) : "none yet";
            if (why != null) {
                issueServer(dir, ca, caKey, names);
                LOG.info("TLS: issued a server certificate for {} ({}), signed by the CA in {} (fingerprint {})", names, why, caFile,
                        fingerprint(ca));
            }
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot make the TLS certificates in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Why the server certificate must be issued again, or null when it fits. */
    private static String unfit(List<X509Certificate> chain, X509Certificate ca, Collection<String> names) throws GeneralSecurityException {
        X509Certificate server = chain.get(0);
        if (!server.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
            return "signed by another CA";
        }
        try {
            server.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            return "signed by another CA";
        }
        if (server.getNotAfter().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE))) {
            return "it expires on " + server.getNotAfter().toInstant();
        }
        Set<String> carried = new LinkedHashSet<>();
        Collection<List<?>> sans = server.getSubjectAlternativeNames();
        if (sans != null) {
            sans.forEach(san -> carried.add(normalized(String.valueOf(san.get(1)))));
        }
        for (String n : names) {
            if (!carried.contains(normalized(n))) {
                return "it does not name " + n;
            }
        }
        return null;
    }

    private static String normalized(String name) {
        try {
            if (name.contains(":") || name.matches("[0-9.]+")) {
                return InetAddress.getByName(name).getHostAddress();
            }
        } catch (IOException ignored) {
            // not an address
        }
        return name.toLowerCase(java.util.Locale.ROOT);
    }

    private static void makeCa(Path dir) throws GeneralSecurityException, OperatorCreationException, IOException {
        KeyPair keys = ecKeys();
        String host = hostName();
        X500Name name = new X500Name("CN=Ironbell CA " + host + " " + HexFormat.of().formatHex(random(4)) + ",O=Ironbell");
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(1, random(16)),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CA_LIFETIME)), name, keys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
        X509Certificate ca = sign(b, keys.getPrivate());
        writePrivate(dir.resolve(CA_KEY), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
        writePrivate(dir.resolve(CA), pem("CERTIFICATE", ca.getEncoded()));
        LOG.info("TLS: made this installation's CA in {}; fingerprint {}", dir.resolve(CA), fingerprint(ca));
    }

    private static void issueServer(Path dir, X509Certificate ca, PrivateKey caKey, Collection<String> names)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        KeyPair keys = ecKeys();
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, new BigInteger(1, random(16)),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(SERVER_LIFETIME)),
                new X500Name("CN=" + hostName() + ",O=Ironbell"), keys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
        List<GeneralName> sans = new ArrayList<>();
        for (String n : names) {
            sans.add(isAddress(n) ? new GeneralName(GeneralName.iPAddress, InetAddress.getByName(n).getHostAddress())
                    : new GeneralName(GeneralName.dNSName, n));
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
        X509Certificate server = sign(b, caKey);
        // the key first: a chain on disk always has its key beside it when a reload reads both
        writePrivate(dir.resolve(KEY), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
        writePrivate(dir.resolve(CHAIN), pem("CERTIFICATE", server.getEncoded()) + pem("CERTIFICATE", ca.getEncoded()));
    }

    private static boolean isAddress(String n) {
        return n.contains(":") || n.matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
    }

    /**
     * The names a generated server certificate carries: localhost, this host's name, every
     * address of its interfaces (link-local IPv6 aside), and {@code extra} (the operator's
     * {@code http.tlsNames}).
     */
    static List<String> localNames(Collection<String> extra) {
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        names.add(hostName());
        try {
            for (NetworkInterface nic : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
                nic.inetAddresses().filter(a -> !a.isLinkLocalAddress()).forEach(a -> names.add(a.getHostAddress().replaceAll("%.*", "")));
            }
        } catch (SocketException e) {
            LOG.warn("TLS: cannot list this host's addresses ({}); the certificate names only localhost and http.tlsNames", e.getMessage());
        }
        extra.stream().map(String::trim).filter(s -> !s.isEmpty()).forEach(names::add);
        return names.stream().map(ServerCertificates::normalized).distinct().toList();
    }

    private static String hostName() {
        try {
            String h = InetAddress.getLocalHost().getHostName();
            return h.matches("[A-Za-z0-9.-]+") ? h : "localhost";
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** {@code sha256:} and the lower-case hex SHA-256 of the certificate's DER encoding. */
    static String fingerprint(X509Certificate cert) throws GeneralSecurityException {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    }

    /** The certificates of a PEM file, in order. */
    static List<X509Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory f = CertificateFactory.getInstance("X.509");
        List<X509Certificate> certs = new ArrayList<>();
        for (byte[] der : pemBlocks(file, "CERTIFICATE")) {
            certs.add((X509Certificate) f.generateCertificate(new ByteArrayInputStream(der)));
        }
        if (certs.isEmpty()) {
            throw new IOException(file + " holds no PEM certificate");
        }
        return certs;
    }

    /** The PKCS#8 PEM private key ({@code BEGIN PRIVATE KEY}) of a file: EC or RSA. */
    static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        List<byte[]> keys = pemBlocks(file, "PRIVATE KEY");
        if (keys.isEmpty()) {
            throw new IOException(file + " holds no unencrypted PKCS#8 PEM private key (BEGIN PRIVATE KEY)");
        }
        try {
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(keys.get(0)));
        } catch (GeneralSecurityException notEc) {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(keys.get(0)));
        }
    }

    /** Fails unless {@code key} is the private key of {@code cert}: a signature made with one is checked with the other. */
    static void checkPair(X509Certificate cert, PrivateKey key) throws GeneralSecurityException {
        String alg = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        byte[] probe = random(32);
        java.security.Signature s = java.security.Signature.getInstance(alg);
        s.initSign(key);
        s.update(probe);
        byte[] sig = s.sign();
        java.security.Signature v = java.security.Signature.getInstance(alg);
        v.initVerify(cert.getPublicKey());
        v.update(probe);
        if (!v.verify(sig)) {
            throw new GeneralSecurityException("the key is not the certificate's key");
        }
    }

    private static List<byte[]> pemBlocks(Path file, String type) throws IOException {
        Matcher m = PEM.matcher(Files.readString(file, StandardCharsets.US_ASCII));
        List<byte[]> blocks = new ArrayList<>();
        while (m.find()) {
            if (m.group(1).equals(type)) {
                blocks.add(Base64.getMimeDecoder().decode(m.group(2)));
            }
        }
        return blocks;
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    }

    private static KeyPair ecKeys() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der) + "\n-----END "
                + type + "-----\n";
    }

    /** Writes a file created 0600 beside its target, then moves it over the target. */
    private static void writePrivate(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (var fc = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            fc.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
            fc.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
