package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.Builtins.Fn;
import io.ironbell.engine.internal.gotemplate.GoValues.Function;
import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import io.ironbell.engine.internal.gotemplate.GoValues.GoNumber;
import io.ironbell.engine.internal.gotemplate.GoValues.GoStruct;
import io.ironbell.engine.internal.gotemplate.PrivateKeys.Key;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The functions of Sprig's hermetic map whose results are random or read the clock, so that no
 * two runs agree byte for byte: randInt, shuffle, ago, encryptAES, bcrypt, htpasswd,
 * genPrivateKey and the certificate functions. They take Sprig's arguments, give its formats and
 * fail with its errors; only the random bytes and the clock differ.
 */
final class SprigRandom {

    private SprigRandom() {
    }

    private static final String ANY = "interface {}";
    private static final String S = "string";
    private static final String I = "int";
    private static final String LIST = "[]interface {}";

    private static final SecureRandom RANDOM = new SecureRandom();

    static void register(Map<String, Function> m) {
        // math/rand, which Sprig seeds from the clock: rand.Intn(max-min) + min, Intn's panic for a range that is empty or wraps
        m.put("randInt", new Fn(List.of(I, I), false, a -> {
            long min = (Long) a.get(0);
            long n = (Long) a.get(1) - min;
            if (n <= 0) {
                throw new FunctionError("invalid argument to Intn");
            }
            return ThreadLocalRandom.current().nextLong(n) + min;
        }));
        m.put("shuffle", new Fn(List.of(S), false, a -> shuffle((String) a.get(0))));
        m.put("ago", new Fn(List.of(ANY), false, a -> ago(a.get(0), Instant.now())));
        m.put("encryptAES", new Fn(List.of(S, S), false, a -> encryptAes((String) a.get(0), (String) a.get(1))));
        m.put("bcrypt", new Fn(List.of(S), false, a -> Bcrypt.hash(GoBytes.bytes((String) a.get(0)))));
        m.put("htpasswd", new Fn(List.of(S, S), false, a -> {
            String user = (String) a.get(0);
            return user.contains(":") ? "invalid username: " + user : user + ":" + Bcrypt.hash(GoBytes.bytes((String) a.get(1)));
        }));
        m.put("genPrivateKey", new Fn(List.of(S), false, a -> PrivateKeys.generate((String) a.get(0))));
        m.put("buildCustomCert", new Fn(List.of(S, S), false, a -> Certificates.buildCustom((String) a.get(0), (String) a.get(1))));
        // the certificate helpers without a key make an RSA key of 2048 bits (genPrivateKey's are of 4096)
        m.put("genCA", new Fn(List.of(S, I), false, a -> Certificates.authority((String) a.get(0), (Long) a.get(1), PrivateKeys.generateRsa(2048))));
        m.put("genCAWithKey", new Fn(List.of(S, I, S), false, a -> Certificates.authority((String) a.get(0), (Long) a.get(1), key(a.get(2)))));
        m.put("genSelfSignedCert", new Fn(List.of(S, LIST, LIST, I), false, a -> Certificates.selfSigned((String) a.get(0), GoValues.items(a.get(1)),
                GoValues.items(a.get(2)), (Long) a.get(3), PrivateKeys.generateRsa(2048))));
        m.put("genSelfSignedCertWithKey", new Fn(List.of(S, LIST, LIST, I, S), false, a -> Certificates.selfSigned((String) a.get(0),
                GoValues.items(a.get(1)), GoValues.items(a.get(2)), (Long) a.get(3), key(a.get(4)))));
        m.put("genSignedCert", new Fn(List.of(S, LIST, LIST, I, Certificates.TYPE), false, a -> Certificates.signed((String) a.get(0),
                GoValues.items(a.get(1)), GoValues.items(a.get(2)), (Long) a.get(3), (GoStruct) a.get(4), PrivateKeys.generateRsa(2048))));
        m.put("genSignedCertWithKey", new Fn(List.of(S, LIST, LIST, I, Certificates.TYPE, S), false, a -> Certificates.signed((String) a.get(0),
                GoValues.items(a.get(1)), GoValues.items(a.get(2)), (Long) a.get(3), (GoStruct) a.get(4), key(a.get(5)))));
    }

    /** The *WithKey forms read their key first. */
    private static Key key(Object pem) {
        try {
            return PrivateKeys.parsePem((String) pem);
        } catch (FunctionError e) {
            throw new FunctionError("parsing private key: " + e.getMessage());
        }
    }

    /** xstrings.Shuffle: Fisher-Yates over the runes, each byte that is not UTF-8 becoming U+FFFD as []rune makes it. */
    static String shuffle(String s) {
        int[] runes = new int[s.length()];
        int n = 0;
        for (int i = 0; i < s.length();) {
            if (GoBytes.isRawByte(s, i)) {
                runes[n++] = 0xFFFD;
                i++;
            } else {
                int cp = s.codePointAt(i);
                runes[n++] = cp;
                i += Character.charCount(cp);
            }
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = runes[i];
            runes[i] = runes[j];
            runes[j] = t;
        }
        return new String(runes, 0, n);
    }

    /** Seconds from 0001-01-01 to 1970-01-01: Go's internal seconds, in which Sub and Add wrap and clamp. */
    private static final long UNIX_TO_INTERNAL = 62135596800L;

    /**
     * Sprig's dateAgo at {@code now}: time.Since(t).Round(time.Second).String() for a time.Time, or
     * time.Unix of an int64 or int; for anything else t is now, and that is "0s".
     */
    static String ago(Object date, Instant now) {
        long sec;
        int nsec = 0;
        if (date instanceof GoTime t) {
            sec = t.unix();
            nsec = t.nanos();
        } else if (date instanceof GoNumber n && n.type().equals("int64")) {
            sec = n.bits();
        } else if (date instanceof Long l) {
            sec = l;
        } else {
            return "0s";
        }
        return GoDuration.format(roundToSecond(sub(now.getEpochSecond() + UNIX_TO_INTERNAL, now.getNano(), sec + UNIX_TO_INTERNAL, nsec)));
    }

    /** Time.Sub on internal seconds: the wrapped difference where u+d gets back to t, else the Duration's bound on t's side. */
    private static long sub(long tSec, int tNsec, long uSec, int uNsec) {
        long d = (tSec - uSec) * 1_000_000_000L + (tNsec - uNsec);
        long[] back = add(uSec, uNsec, d);
        if (back[0] == tSec && back[1] == tNsec) {
            return d;
        }
        return tSec < uSec || tSec == uSec && tNsec < uNsec ? Long.MIN_VALUE : Long.MAX_VALUE;
    }

    /** Time.Add on internal seconds, clamping where the seconds overflow. */
    private static long[] add(long sec, int nsec, long d) {
        long dsec = d / 1_000_000_000L;
        long n = nsec + d % 1_000_000_000L;
        if (n >= 1_000_000_000L) {
            dsec++;
            n -= 1_000_000_000L;
        } else if (n < 0) {
            dsec--;
            n += 1_000_000_000L;
        }
        long sum = sec + dsec;
        if ((sum > sec) != (dsec > 0)) {
            sum = dsec > 0 ? Long.MAX_VALUE : -Long.MAX_VALUE;
        }
        return new long[] {sum, n};
    }

    /** Duration.Round(time.Second): halves away from zero, the bounds where that overflows. */
    static long roundToSecond(long d) {
        long m = 1_000_000_000L;
        long r = d % m;
        if (d < 0) {
            r = -r;
            if (r + r < m) {
                return d + r;
            }
            long d1 = d - m + r;
            return d1 < d ? d1 : Long.MIN_VALUE;
        }
        if (r + r < m) {
            return d - r;
        }
        long d1 = d + m - r;
        return d1 > d ? d1 : Long.MAX_VALUE;
    }

    /** Sprig's encryptAES: AES-256-CBC (the password's bytes, zero-padded or cut to 32), PKCS #7 padding, a random IV before the ciphertext, base64. */
    static String encryptAes(String password, String plaintext) {
        if (plaintext.isEmpty()) {
            return "";
        }
        byte[] key = new byte[32];
        byte[] pw = GoBytes.bytes(password);
        System.arraycopy(pw, 0, key, 0, Math.min(pw.length, 32));
        byte[] iv = new byte[16];
        RANDOM.nextBytes(iv);
        try {
            Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
            byte[] encrypted = cipher.doFinal(GoBytes.bytes(plaintext));
            byte[] out = new byte[16 + encrypted.length];
            System.arraycopy(iv, 0, out, 0, 16);
            System.arraycopy(encrypted, 0, out, 16, encrypted.length);
            return Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
