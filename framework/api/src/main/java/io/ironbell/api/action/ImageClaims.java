package io.ironbell.api.action;

import java.util.Collection;
import java.util.Locale;

/**
 * Which action plugin claims an image, by the rule the worker and the server's plugin repository
 * share: the longest {@value ActionPlugin#IMAGES} prefix of the image wins; else the plugin whose
 * type is the image's bare name (no registry, path or tag: {@code image2disk} claims
 * {@code image2disk:v1}, and {@code ghcr.io/acme/image2disk:v2} only through a prefix).
 */
public final class ImageClaims {

    private ImageClaims() {
    }

    /** A prefix matches a whole name part: {@code a/image2disk} matches {@code a/image2disk:v1}, not {@code a/image2disk2}. */
    public static boolean prefixMatches(String image, String prefix) {
        if (prefix == null || prefix.isEmpty() || image == null || !image.startsWith(prefix)) {
            return false;
        }
        if (image.length() == prefix.length() || prefix.endsWith("/") || prefix.endsWith(":")) {
            return true;
        }
        char next = image.charAt(prefix.length());
        return next == ':' || next == '@' || next == '/';
    }

    /** The length of the longest of {@code prefixes} that matches {@code image}, or -1 when none does. */
    public static int longestPrefix(String image, Collection<String> prefixes) {
        int best = -1;
        for (String p : prefixes) {
            if (prefixMatches(image, p) && p.length() > best) {
                best = p.length();
            }
        }
        return best;
    }

    /** Whether a plugin of this type claims the image by its bare name. */
    public static boolean typeMatches(String image, String type) {
        String bare = (image == null ? "" : image.trim()).replaceAll("[@].*$", "").replaceAll(":[^/]*$", "").toLowerCase(Locale.ROOT);
        return type != null && type.equalsIgnoreCase(bare);
    }
}
