package io.ironbell.api.plugin;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an action plugin is on its way to a machine: a bundle jar, optionally with a detached
 * signature of its bytes by a vendor's key, pushed to the server's {@link PluginRepository} or
 * published as an OCI artifact in a registry. The server and the worker check signatures with
 * these same methods.
 *
 * <p>As an OCI artifact a plugin is an image manifest whose {@code artifactType} is
 * {@value #ARTIFACT_TYPE}, with the empty config ({@value #EMPTY_CONFIG}), one layer of media
 * type {@value #BUNDLE_LAYER} (the jar) and, when signed, one of {@value #SIGNATURE_LAYER} (the
 * detached signature's bytes). A detached signature keeps the vendor's jar byte for byte, so its
 * digest is the same in the registry, the server and the worker.
 */
public final class PluginArtifact {

    /** The {@code artifactType} of a manifest that carries an Ironbell action plugin. */
    public static final String ARTIFACT_TYPE = "application/vnd.ironbell.action-plugin.v1";
    /** The media type of the layer that is the bundle jar. */
    public static final String BUNDLE_LAYER = "application/vnd.ironbell.action-plugin.bundle.v1+jar";
    /** The media type of the layer that is the jar's detached signature. */
    public static final String SIGNATURE_LAYER = "application/vnd.ironbell.action-plugin.signature.v1";
    /** The OCI empty descriptor's media type, the config of an artifact that needs none. */
    public static final String EMPTY_CONFIG = "application/vnd.oci.empty.v1+json";

    private static final Pattern PEM = Pattern.compile("-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----");

    private PluginArtifact() {
    }

    /**
     * The public keys in PEM text ({@code BEGIN PUBLIC KEY} blocks: EC, Ed25519 or RSA).
     *
     * @throws GeneralSecurityException when the text holds none, or one that is none of those
     */
    public static List<PublicKey> publicKeys(String pem) throws GeneralSecurityException {
        List<PublicKey> keys = new ArrayList<>();
        Matcher m = PEM.matcher(pem);
        while (m.find()) {
            byte[] der = Base64.getMimeDecoder().decode(m.group(1));
            keys.add(publicKey(der));
        }
        if (keys.isEmpty()) {
            throw new GeneralSecurityException("no PEM public key (-----BEGIN PUBLIC KEY-----)");
        }
        return keys;
    }

    /** A key in PEM text, as {@link #publicKeys} reads it. */
    public static String pem(PublicKey key) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    /**
     * The fingerprint of the key among {@code keys} whose detached signature of {@code jar}
     * {@code signature} is (SHA256withECDSA, SHA256withRSA or Ed25519), if any.
     */
    public static Optional<String> signer(byte[] jar, byte[] signature, List<PublicKey> keys) {
        if (signature == null || signature.length == 0) {
            return Optional.empty();
        }
        for (PublicKey k : keys) {
            try {
                Signature v = Signature.getInstance(switch (k.getAlgorithm()) {
                    case "EC" -> "SHA256withECDSA";
                    case "RSA" -> "SHA256withRSA";
                    default -> k.getAlgorithm(); // Ed25519, Ed448: the algorithm is the signature
                });
                v.initVerify(k);
                v.update(jar);
                if (v.verify(signature)) {
                    return Optional.of(fingerprint(k));
                }
            } catch (GeneralSecurityException | RuntimeException e) {
                // not this key's kind of signature: the next key
            }
        }
        return Optional.empty();
    }

    /** {@code sha256:} and the hex SHA-256 of the key's X.509 encoding. */
    public static String fingerprint(PublicKey key) {
        return digest(key.getEncoded());
    }

    /** {@code sha256:} and the hex SHA-256 of the bytes: how plugins (and OCI content) are named. */
    public static String digest(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static PublicKey publicKey(byte[] der) throws GeneralSecurityException {
        GeneralSecurityException last = null;
        for (String alg : new String[] {"EC", "Ed25519", "RSA"}) {
            try {
                return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw last;
    }
}
