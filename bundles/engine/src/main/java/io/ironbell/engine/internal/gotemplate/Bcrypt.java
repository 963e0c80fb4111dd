package io.ironbell.engine.internal.gotemplate;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * golang.org/x/crypto/bcrypt (0.4.0, what Sprig 3.2.3 builds with) as Sprig calls it:
 * GenerateFromPassword at the default cost 10, "$2a$10$", the salt and the hash in bcrypt's base64.
 * Like it, no limit on the password's length: bytes past the 72nd do not count.
 */
final class Bcrypt {

    private Bcrypt() {
    }

    static final int DEFAULT_COST = 10;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final byte[] MAGIC = "OrpheanBeholderScryDoubt".getBytes(StandardCharsets.US_ASCII);

    /** Blowfish's initial P-array and S-boxes: the 1042 words of the hexadecimal digits of pi after the 3. */
    private static final class Pi {
        static final int[] WORDS = digits(18 + 4 * 256);

        /** Machin's formula, pi = 16 atan(1/5) - 4 atan(1/239), in fixed point with guard bits. */
        private static int[] digits(int words) {
            int bits = 32 * words + 64;
            BigInteger pi = atan(5, bits).shiftLeft(4).subtract(atan(239, bits).shiftLeft(2));
            BigInteger fraction = pi.subtract(BigInteger.valueOf(3).shiftLeft(bits));
            int[] out = new int[words];
            for (int i = 0; i < words; i++) {
                out[i] = fraction.shiftRight(bits - 32 * (i + 1)).intValue();
            }
            return out;
        }

        /** atan(1/x) · 2^bits. */
        private static BigInteger atan(int x, int bits) {
            BigInteger power = BigInteger.ONE.shiftLeft(bits).divide(BigInteger.valueOf(x));
            BigInteger x2 = BigInteger.valueOf((long) x * x);
            BigInteger sum = power;
            for (int k = 1; power.signum() != 0; k++) {
                power = power.divide(x2);
                BigInteger term = power.divide(BigInteger.valueOf(2L * k + 1));
                sum = k % 2 == 1 ? sum.subtract(term) : sum.add(term);
            }
            return sum;
        }
    }

    /** Sprig's bcrypt: a new random salt each time. */
    static String hash(byte[] password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return hash(password, DEFAULT_COST, salt);
    }

    /** The hash of the password for this cost and 16-byte salt, in the "$2a$" form. */
    static String hash(byte[] password, int cost, byte[] salt) {
        byte[] key = java.util.Arrays.copyOf(password, password.length + 1);
        int[] state = Pi.WORDS.clone();
        expandKey(state, key, salt);
        for (long i = 0; i < 1L << cost; i++) {
            expandKey(state, key, null);
            expandKey(state, salt, null);
        }
        byte[] text = MAGIC.clone();
        for (int i = 0; i < 24; i += 8) {
            int l = word(text, i);
            int r = word(text, i + 4);
            long lr = 0;
            for (int j = 0; j < 64; j++) {
                lr = encrypt(state, l, r);
                l = (int) (lr >>> 32);
                r = (int) lr;
            }
            putWord(text, i, l);
            putWord(text, i + 4, r);
        }
        return String.format("$2a$%02d$", cost) + base64(salt) + base64(java.util.Arrays.copyOf(text, 23));
    }

    /** Blowfish's ExpandKey, and expandKeyWithSalt where there is a salt: the key into the P-array, then the state re-encrypted. */
    private static void expandKey(int[] state, byte[] key, byte[] salt) {
        int[] j = {0};
        for (int i = 0; i < 18; i++) {
            state[i] ^= nextWord(key, j);
        }
        j[0] = 0;
        int l = 0;
        int r = 0;
        for (int i = 0; i < state.length; i += 2) {
            if (salt != null) {
                l ^= nextWord(salt, j);
                r ^= nextWord(salt, j);
            }
            long lr = encrypt(state, l, r);
            l = (int) (lr >>> 32);
            r = (int) lr;
            state[i] = l;
            state[i + 1] = r;
        }
    }

    /** The next four bytes of {@code b}, cycling. */
    private static int nextWord(byte[] b, int[] at) {
        int w = 0;
        for (int i = 0; i < 4; i++) {
            w = w << 8 | b[at[0]] & 0xff;
            at[0] = (at[0] + 1) % b.length;
        }
        return w;
    }

    /** One Blowfish block: {l, r} in the high and low halves. */
    private static long encrypt(int[] s, int l, int r) {
        l ^= s[0];
        for (int i = 1; i <= 16; i += 2) {
            r ^= f(s, l) ^ s[i];
            l ^= f(s, r) ^ s[i + 1];
        }
        r ^= s[17];
        return (long) r << 32 | l & 0xffffffffL;
    }

    private static int f(int[] s, int x) {
        return (s[18 + (x >>> 24)] + s[18 + 256 + (x >>> 16 & 0xff)] ^ s[18 + 512 + (x >>> 8 & 0xff)]) + s[18 + 768 + (x & 0xff)];
    }

    private static int word(byte[] b, int i) {
        return (b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | b[i + 3] & 0xff;
    }

    private static void putWord(byte[] b, int i, int w) {
        b[i] = (byte) (w >>> 24);
        b[i + 1] = (byte) (w >>> 16);
        b[i + 2] = (byte) (w >>> 8);
        b[i + 3] = (byte) w;
    }

    /** bcrypt's base64: its own alphabet, no padding. */
    private static String base64(byte[] b) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < b.length; i += 3) {
            int n = (b[i] & 0xff) << 16 | (i + 1 < b.length ? (b[i + 1] & 0xff) << 8 : 0) | (i + 2 < b.length ? b[i + 2] & 0xff : 0);
            int chars = Math.min(4, (b.length - i) * 4 / 3 + ((b.length - i) * 4 % 3 == 0 ? 0 : 1));
            for (int k = 0; k < chars; k++) {
                out.append(ALPHABET.charAt(n >>> (18 - 6 * k) & 0x3f));
            }
        }
        return out.toString();
    }
}
