package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.Builtins.Fn;
import io.ironbell.engine.internal.gotemplate.GoValues.Function;
import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import io.ironbell.engine.internal.gotemplate.GoValues.GoNumber;
import io.ironbell.engine.internal.gotemplate.GoValues.GoPointer;
import io.ironbell.engine.internal.gotemplate.GoValues.GoSlice;
import io.ironbell.engine.internal.gotemplate.GoValues.GoStruct;
import io.ironbell.engine.internal.gotemplate.GoValues.StringMap;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Sprig's dict merging (mergo 0.3.12 on map[string]interface {}, in place), URLs (net/url),
 * semantic versions (Masterminds/semver), dates (time.Time; Local is UTC) and the deterministic
 * crypto functions (decryptAES, derivePassword with scrypt).
 */
final class SprigMore {

    private SprigMore() {
    }

    private static final String ANY = "interface {}";
    private static final String S = "string";
    private static final String MAP = "map[string]interface {}";
    private static final String TIME = "time.Time";

    static void register(Map<String, Function> m) {
        m.put("merge", new Fn(List.of(MAP, MAP), true, a -> merge(a, false, false)));
        m.put("mergeOverwrite", new Fn(List.of(MAP, MAP), true, a -> merge(a, true, false)));
        m.put("mustMerge", new Fn(List.of(MAP, MAP), true, a -> merge(a, false, true)));
        m.put("mustMergeOverwrite", new Fn(List.of(MAP, MAP), true, a -> merge(a, true, true)));
        m.put("urlParse", new Fn(List.of(S), false, a -> urlParse((String) a.get(0))));
        m.put("urlJoin", new Fn(List.of(MAP), false, a -> urlJoin(dict(a.get(0)))));
        m.put("semver", new Fn(List.of(S), false, a -> Semver.parse((String) a.get(0))));
        m.put("semverCompare", new Fn(List.of(S, S), false, a -> Semver.satisfies((String) a.get(0), (String) a.get(1))));
        m.put("toDate", new Fn(List.of(S, S), false, a -> {
            try {
                return GoTime.parse((String) a.get(0), (String) a.get(1));
            } catch (FunctionError e) {
                return GoTime.ZERO;
            }
        }));
        m.put("mustToDate", new Fn(List.of(S, S), false, a -> GoTime.parse((String) a.get(0), (String) a.get(1))));
        m.put("unixEpoch", new Fn(List.of(TIME), false, a -> Long.toString(((GoTime) a.get(0)).unix())));
        m.put("mustDateModify", new Fn(List.of(S, TIME), false, a -> ((GoTime) a.get(1)).add(GoTime.parseDuration((String) a.get(0)))));
        m.put("must_date_modify", m.get("mustDateModify"));
        m.put("decryptAES", new Fn(List.of(S, S), false, a -> decryptAes((String) a.get(0), (String) a.get(1))));
        m.put("derivePassword", new Fn(List.of("uint32", S, S, S, S), false, a -> derivePassword(((GoNumber) a.get(0)).bits() & 0xFFFFFFFFL,
                (String) a.get(1), (String) a.get(2), (String) a.get(3), (String) a.get(4))));
    }

    /** A Go string as a byte string: a char a byte, so that indexes and lengths are Go's. */
    static String byteString(String s) {
        return new String(GoBytes.bytes(s), StandardCharsets.ISO_8859_1);
    }

    /** A byte string as a Go string again. */
    static String goString(String bytes) {
        return GoBytes.string(bytes.getBytes(StandardCharsets.ISO_8859_1));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> dict(Object m) {
        return (Map<String, Object>) m;
    }

    // ---- merge: mergo.Merge(&dst, src[, WithOverride]) for each src ----

    /** mergo's ErrDifferentArgumentsTypes: merge returns "" for it, mustMerge the error; mergo's panics are errors of both. */
    private static final class DifferentTypes extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DifferentTypes() {
            super("src and dst must be of same type", null, false, false);
        }
    }

    private static Object merge(List<Object> a, boolean overwrite, boolean must) {
        Map<String, Object> dst = dict(a.get(0));
        for (Object src : a.subList(1, a.size())) {
            if (src == null) {
                continue;
            }
            if (dst == null) {
                dst = new LinkedHashMap<>();
            }
            try {
                mergeMaps(dst, dict(src), overwrite, Collections.newSetFromMap(new IdentityHashMap<>()));
            } catch (DifferentTypes e) {
                if (must) {
                    throw new FunctionError(e.getMessage());
                }
                return "";
            }
        }
        // a nil dst with no src stays a nil map in Go, which prints as an empty one
        return dst == null ? new LinkedHashMap<>() : dst;
    }

    /** deepMerge of two maps: src's keys into dst (mergo's map case). */
    private static void mergeMaps(Map<String, Object> dst, Map<String, Object> src, boolean overwrite, Set<Object> visited) {
        // the elements of a map[string]string are strings; those of a map[string]interface {} interfaces
        String srcElemType = src instanceof StringMap ? S : ANY;
        for (String key : new ArrayList<>(src.keySet())) {
            if (!src.containsKey(key)) {
                continue;
            }
            Object s = src.get(key);
            boolean dstHas = dst.containsKey(key);
            Object d = dst.get(key);
            if (s == null) {
                if (overwrite) {
                    setMapIndex(dst, key, null, srcElemType);
                }
                continue;
            }
            String kind = Sprig.kind(s);
            switch (kind) {
                case "struct", "ptr", "map" -> mergeValue(d, s, overwrite, visited);
                case "slice" -> {
                    if (dstHas && dst instanceof StringMap) {
                        throw new FunctionError("reflect: call of reflect.Value.IsNil on string Value");
                    }
                    Object slice = d != null ? d : s instanceof GoSlice gs ? new GoSlice(gs.elemType(), new ArrayList<>()) : new ArrayList<>();
                    if (overwrite || dst.isEmpty()) {
                        slice = s;
                    }
                    setMapIndex(dst, key, slice, GoValues.typeName(slice));
                }
                default -> {
                }
            }
            if (dstHas && !isEmptyValue(d) && (kind.equals("map") || kind.equals("slice"))) {
                continue;
            }
            if (overwrite || !dstHas || isEmptyValue(d)) {
                setMapIndex(dst, key, s, srcElemType);
            }
        }
    }

    /** deepMerge of a map element into another: dst is not addressable, so only maps and what pointers point at change. */
    private static void mergeValue(Object d, Object s, boolean overwrite, Set<Object> visited) {
        if (d == null) {
            return;
        }
        switch (Sprig.kind(d)) {
            case "map" -> {
                if (s instanceof Map<?, ?>) {
                    mergeMaps(dict(d), dict(s), overwrite, visited);
                } else if (overwrite) {
                    throw new FunctionError("reflect: reflect.Value.Set using unaddressable value");
                }
            }
            case "ptr" -> {
                if (s instanceof GoPointer p && p.target() == null || d instanceof GoPointer q && q.target() == null) {
                    return;
                }
                if (!Sprig.kind(s).equals("ptr")) {
                    String elemType = d instanceof GoPointer p ? p.elemType() : "semver.Version";
                    if (!overwrite && !elemType.equals(GoValues.typeName(s))) {
                        throw new DifferentTypes();
                    }
                    return;
                }
                // once per pointer and Merge, as mergo's visited map has it
                if (visited.add(d) && overwrite && d instanceof Semver dv && s instanceof Semver sv) {
                    dv.assign(sv);
                }
            }
            case "struct" -> {
                if (d instanceof GoStruct gs && !gs.fields().isEmpty() && !Sprig.kind(s).equals("struct")) {
                    throw new FunctionError("reflect: call of reflect.Value.Field on " + Sprig.kind(s) + " Value");
                }
            }
            default -> {
            }
        }
    }

    /** reflect's SetMapIndex: a map[string]string takes only a value of static type string. */
    private static void setMapIndex(Map<String, Object> dst, String key, Object value, String type) {
        if (dst instanceof StringMap && !type.equals(S)) {
            throw new FunctionError("reflect.Value.SetMapIndex: value of type " + type + " is not assignable to type string");
        }
        dst.put(key, value);
    }

    /** mergo's isEmptyValue (encoding/json's): zero numbers, false, empty strings, lists and maps, nil; never a struct. */
    private static boolean isEmptyValue(Object v) {
        if (v == null) {
            return true;
        }
        if (v instanceof String s) {
            return s.isEmpty();
        }
        if (v instanceof Boolean b) {
            return !b;
        }
        if (v instanceof Long l) {
            return l == 0;
        }
        if (v instanceof Double d) {
            return d == 0;
        }
        if (v instanceof GoNumber n) {
            return n.isFloat() ? n.floatValue() == 0 : n.bits() == 0;
        }
        if (v instanceof Map<?, ?> m) {
            return m.isEmpty();
        }
        if (GoValues.items(v) != null) {
            return GoValues.items(v).isEmpty();
        }
        if (v instanceof GoPointer p) {
            return p.target() == null || isEmptyValue(p.target());
        }
        return false;
    }

    // ---- URLs ----

    private static Map<String, Object> urlParse(String text) {
        GoUrl u;
        try {
            u = GoUrl.parse(text);
        } catch (FunctionError e) {
            throw new FunctionError("unable to parse url: " + e.getMessage());
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("scheme", goString(u.scheme));
        d.put("host", goString(u.host));
        d.put("hostname", goString(u.hostname()));
        d.put("path", goString(u.path));
        d.put("query", goString(u.rawQuery));
        d.put("opaque", goString(u.opaque));
        d.put("fragment", goString(u.fragment));
        d.put("userinfo", u.user == null ? "" : goString(u.user.string()));
        return d;
    }

    private static String urlJoin(Map<String, Object> d) {
        GoUrl u = new GoUrl();
        u.scheme = byteString(dictString(d, "scheme"));
        u.host = byteString(dictString(d, "host"));
        u.path = byteString(dictString(d, "path"));
        u.rawQuery = byteString(dictString(d, "query"));
        u.opaque = byteString(dictString(d, "opaque"));
        u.fragment = byteString(dictString(d, "fragment"));
        String userinfo = dictString(d, "userinfo");
        if (!userinfo.isEmpty()) {
            try {
                u.user = GoUrl.parse("proto://" + userinfo + "@host").user;
            } catch (FunctionError e) {
                throw new FunctionError("unable to parse userinfo in dict: " + e.getMessage());
            }
        }
        return goString(u.string());
    }

    /** Sprig's dictGetOrEmpty: "" for a missing key, the string, or a panic naming the kind. */
    private static String dictString(Map<String, Object> d, String key) {
        if (d == null || !d.containsKey(key)) {
            return "";
        }
        String kind = Sprig.kind(d.get(key));
        if (!kind.equals("string")) {
            throw new FunctionError("unable to parse " + key + " key, must be of type string, but " + kind + " found");
        }
        return (String) d.get(key);
    }

    // ---- crypto ----

    private static String decryptAes(String password, String crypt64) {
        if (crypt64.isEmpty()) {
            return "";
        }
        byte[] key = new byte[32];
        byte[] pw = GoBytes.bytes(password);
        System.arraycopy(pw, 0, key, 0, Math.min(pw.length, 32));
        byte[] src = GoBytes.bytes(crypt64);
        byte[] crypt = base64Decode(src);
        // Go slices the decoded bytes within the capacity DecodeString gave them
        int capacity = src.length / 4 * 3;
        if (capacity < 16) {
            throw new FunctionError("runtime error: slice bounds out of range [:16] with capacity " + capacity);
        }
        if (crypt.length < 16) {
            throw new FunctionError("runtime error: slice bounds out of range [16:" + crypt.length + "]");
        }
        int n = crypt.length - 16;
        if (n % 16 != 0) {
            throw new FunctionError("crypto/cipher: input not full blocks");
        }
        byte[] decrypted;
        try {
            Cipher cipher = Cipher.getInstance("AES/CBC/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(crypt, 0, 16));
            decrypted = cipher.doFinal(crypt, 16, n);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        if (n == 0) {
            throw new FunctionError("runtime error: index out of range [-1]");
        }
        int end = n - (decrypted[n - 1] & 0xff);
        if (end < 0) {
            throw new FunctionError("runtime error: slice bounds out of range [:" + end + "]");
        }
        return GoBytes.string(decrypted, 0, end);
    }

    /** base64.StdEncoding.DecodeString: newlines skipped, padding required; Go's error offsets. */
    static byte[] base64Decode(byte[] src) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        ByteArrayOutputStream dst = new ByteArrayOutputStream();
        int si = 0;
        while (si < src.length) {
            int[] quantum = new int[4];
            int dlen = 4;
            String error = null;
            for (int j = 0; j < 4; j++) {
                if (si == src.length) {
                    if (j == 0) {
                        return dst.toByteArray();
                    }
                    throw corrupt(si - j);
                }
                int in = src[si++] & 0xff;
                int out = in < 128 ? alphabet.indexOf(in) : -1;
                if (out >= 0) {
                    quantum[j] = out;
                    continue;
                }
                if (in == '\n' || in == '\r') {
                    j--;
                    continue;
                }
                if (in != '=' || j < 2) {
                    throw corrupt(si - 1);
                }
                if (j == 2) {
                    // "==": the second = after any newlines
                    si = skipNewlines(src, si);
                    if (si == src.length) {
                        throw corrupt(src.length);
                    }
                    if (src[si] != '=') {
                        throw corrupt(si - 1);
                    }
                    si++;
                }
                si = skipNewlines(src, si);
                if (si < src.length) {
                    error = "illegal base64 data at input byte " + si;
                }
                dlen = j;
                break;
            }
            int val = quantum[0] << 18 | quantum[1] << 12 | quantum[2] << 6 | quantum[3];
            dst.write(new byte[] {(byte) (val >> 16), (byte) (val >> 8), (byte) val}, 0, dlen - 1);
            if (error != null) {
                throw new FunctionError(error);
            }
        }
        return dst.toByteArray();
    }

    private static int skipNewlines(byte[] src, int si) {
        while (si < src.length && (src[si] == '\n' || src[si] == '\r')) {
            si++;
        }
        return si;
    }

    private static FunctionError corrupt(int at) {
        return new FunctionError("illegal base64 data at input byte " + at);
    }

    private static final Map<String, String[]> PASSWORD_TEMPLATES = Map.of(
            "maximum", new String[] {"anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"},
            "long", new String[] {"CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv", "CvccCvcvCvcvno",
                "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc", "CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv",
                "CvccCvccnoCvcv", "CvccCvccCvcvno", "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc",
                "CvccCvcvCvccno"},
            "medium", new String[] {"CvcnoCvc", "CvcCvcno"},
            "short", new String[] {"Cvcn"},
            "basic", new String[] {"aaanaaan", "aannaaan", "aaannaaa"},
            "pin", new String[] {"nnnn"});

    private static final Map<Character, String> TEMPLATE_CHARACTERS = Map.of(
            'V', "AEIOU",
            'C', "BCDFGHJKLMNPQRSTVWXYZ",
            'v', "aeiou",
            'c', "bcdfghjklmnpqrstvwxyz",
            'A', "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
            'a', "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
            'n', "0123456789",
            'o', "@&%?,=[]_:-+*$#!'^~;()/.",
            'x', "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()");

    /** The Master Password algorithm: scrypt of the password salted with the user, HMAC of the site and counter, a template's characters. */
    private static String derivePassword(long counter, String passwordType, String password, String user, String site) {
        String[] templates = PASSWORD_TEMPLATES.get(passwordType);
        if (templates == null) {
            return "cannot find password template " + passwordType;
        }
        byte[] seed = "com.lyndir.masterpassword".getBytes(StandardCharsets.UTF_8);
        byte[] userBytes = GoBytes.bytes(user);
        byte[] salt = ByteBuffer.allocate(seed.length + 4 + userBytes.length).put(seed).putInt(userBytes.length).put(userBytes).array();
        byte[] key = Scrypt.key(GoBytes.bytes(password), salt, 32768, 8, 2, 64);
        byte[] siteBytes = GoBytes.bytes(site);
        byte[] message = ByteBuffer.allocate(seed.length + 8 + siteBytes.length).put(seed).putInt(siteBytes.length).put(siteBytes)
                .putInt((int) counter).array();
        byte[] hash = Scrypt.hmacSha256(key, message);
        String template = templates[(hash[0] & 0xff) % templates.length];
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            String chars = TEMPLATE_CHARACTERS.get(template.charAt(i));
            out.append(chars.charAt((hash[i + 1] & 0xff) % chars.length()));
        }
        return out.toString();
    }
}
