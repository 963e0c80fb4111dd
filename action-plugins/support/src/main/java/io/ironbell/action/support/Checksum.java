package io.ironbell.action.support;

import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * An expected digest, as the actions take it: {@code sha256:HEX}, {@code sha512:HEX}, or a bare
 * hex digest of either length (IMG_CHECKSUM, TARFILE_CHECKSUM, an OCI descriptor's digest).
 *
 * @param algorithm {@code sha256} or {@code sha512}
 * @param hex       the digest in lower-case hex
 */
public record Checksum(String algorithm, String hex) {

    /**
     * Parses a checksum variable.
     *
     * @param variable the variable's name, for the message
     * @param text     its value, when set
     * @return the checksum, or empty when the variable is unset
     * @throws ActionException INVALID_INPUT when it is not one of the accepted forms
     */
    public static Optional<Checksum> parse(String variable, Optional<String> text) throws ActionException {
        if (text.isEmpty()) {
            return Optional.empty();
        }
        String t = text.get().trim().toLowerCase(Locale.ROOT);
        String alg;
        String hex;
        int colon = t.indexOf(':');
        if (colon > 0) {
            alg = t.substring(0, colon);
            hex = t.substring(colon + 1);
        } else {
            hex = t;
            alg = hex.length() == 64 ? "sha256" : hex.length() == 128 ? "sha512" : "";
        }
        int want = alg.equals("sha256") ? 64 : alg.equals("sha512") ? 128 : -1;
        if (want < 0 || hex.length() != want || !hex.matches("[0-9a-f]+")) {
            throw new ActionException(Reason.INVALID_INPUT, variable + " must be sha256:<64 hex digits> or sha512:<128 hex digits>, was '"
                    + text.get() + "'");
        }
        return Optional.of(new Checksum(alg, hex));
    }

    /** A fresh digest of this algorithm. */
    public MessageDigest digest() {
        try {
            return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Checks a finished digest against this checksum.
     *
     * @param what  what was digested, for the message
     * @param after what the failure means for the target, for the message
     * @throws ActionException CHECKSUM_MISMATCH naming both digests
     */
    public void verify(MessageDigest digest, String what, String after) throws ActionException {
        String got = HexFormat.of().formatHex(digest.digest());
        if (!got.equals(hex)) {
            throw new ActionException(Reason.CHECKSUM_MISMATCH, what + " has " + algorithm + " " + got + ", expected " + hex
                    + (after.isEmpty() ? "" : "; " + after));
        }
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
