package io.ironbell.engine.internal.gotemplate;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * scrypt (RFC 7914) as golang.org/x/crypto/scrypt's Key computes it, for Sprig's derivePassword;
 * PBKDF2 and HMAC over SHA-256 written out, as Java's Mac refuses an empty key (an empty password).
 */
final class Scrypt {

    private Scrypt() {
    }

    /** scrypt.Key(password, salt, n, r, p, keyLen); n a power of two. */
    static byte[] key(byte[] password, byte[] salt, int n, int r, int p, int keyLen) {
        byte[] b = pbkdf2(password, salt, p * 128 * r);
        int[] v = new int[32 * r * n];
        for (int i = 0; i < p; i++) {
            smix(b, i * 128 * r, r, n, v);
        }
        return pbkdf2(password, b, keyLen);
    }

    private static void smix(byte[] b, int offset, int r, int n, int[] v) {
        int len = 32 * r;
        int[] x = new int[len];
        int[] y = new int[len];
        for (int i = 0; i < len; i++) {
            x[i] = littleEndian(b, offset + 4 * i);
        }
        for (int i = 0; i < n; i += 2) {
            System.arraycopy(x, 0, v, i * len, len);
            blockMix(x, y, r);
            System.arraycopy(y, 0, v, (i + 1) * len, len);
            blockMix(y, x, r);
        }
        for (int i = 0; i < n; i += 2) {
            xorFrom(x, v, (x[(2 * r - 1) * 16] & (n - 1)) * len);
            blockMix(x, y, r);
            xorFrom(y, v, (y[(2 * r - 1) * 16] & (n - 1)) * len);
            blockMix(y, x, r);
        }
        for (int i = 0; i < len; i++) {
            b[offset + 4 * i] = (byte) x[i];
            b[offset + 4 * i + 1] = (byte) (x[i] >>> 8);
            b[offset + 4 * i + 2] = (byte) (x[i] >>> 16);
            b[offset + 4 * i + 3] = (byte) (x[i] >>> 24);
        }
    }

    private static int littleEndian(byte[] b, int i) {
        return b[i] & 0xff | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
    }

    private static void xorFrom(int[] x, int[] v, int from) {
        for (int i = 0; i < x.length; i++) {
            x[i] ^= v[from + i];
        }
    }

    /** BlockMix: the even Salsa outputs to the first half, the odd ones to the second. */
    private static void blockMix(int[] in, int[] out, int r) {
        int[] t = new int[16];
        System.arraycopy(in, (2 * r - 1) * 16, t, 0, 16);
        for (int i = 0; i < 2 * r; i += 2) {
            salsaXor(t, in, i * 16, out, i * 8);
            salsaXor(t, in, i * 16 + 16, out, i * 8 + r * 16);
        }
    }

    /** t = Salsa20/8(t xor in[from..]), written to out[to..] too. */
    private static void salsaXor(int[] t, int[] in, int from, int[] out, int to) {
        int[] w = new int[16];
        for (int i = 0; i < 16; i++) {
            w[i] = t[i] ^ in[from + i];
        }
        int[] x = w.clone();
        for (int round = 0; round < 8; round += 2) {
            quarter(x, 0, 4, 8, 12);
            quarter(x, 5, 9, 13, 1);
            quarter(x, 10, 14, 2, 6);
            quarter(x, 15, 3, 7, 11);
            quarter(x, 0, 1, 2, 3);
            quarter(x, 5, 6, 7, 4);
            quarter(x, 10, 11, 8, 9);
            quarter(x, 15, 12, 13, 14);
        }
        for (int i = 0; i < 16; i++) {
            t[i] = x[i] + w[i];
            out[to + i] = t[i];
        }
    }

    private static void quarter(int[] x, int a, int b, int c, int d) {
        x[b] ^= Integer.rotateLeft(x[a] + x[d], 7);
        x[c] ^= Integer.rotateLeft(x[b] + x[a], 9);
        x[d] ^= Integer.rotateLeft(x[c] + x[b], 13);
        x[a] ^= Integer.rotateLeft(x[d] + x[c], 18);
    }

    /** PBKDF2-HMAC-SHA256 with one iteration, as scrypt uses it. */
    private static byte[] pbkdf2(byte[] password, byte[] salt, int keyLen) {
        byte[] out = new byte[keyLen];
        for (int block = 1, at = 0; at < keyLen; block++, at += 32) {
            byte[] input = new byte[salt.length + 4];
            System.arraycopy(salt, 0, input, 0, salt.length);
            input[salt.length] = (byte) (block >>> 24);
            input[salt.length + 1] = (byte) (block >>> 16);
            input[salt.length + 2] = (byte) (block >>> 8);
            input[salt.length + 3] = (byte) block;
            byte[] u = hmacSha256(password, input);
            System.arraycopy(u, 0, out, at, Math.min(32, keyLen - at));
        }
        return out;
    }

    static byte[] hmacSha256(byte[] key, byte[] message) {
        MessageDigest sha = sha256();
        byte[] k = key.length > 64 ? sha.digest(key) : key;
        byte[] inner = new byte[64];
        byte[] outer = new byte[64];
        for (int i = 0; i < 64; i++) {
            byte kb = i < k.length ? k[i] : 0;
            inner[i] = (byte) (kb ^ 0x36);
            outer[i] = (byte) (kb ^ 0x5c);
        }
        sha.update(inner);
        byte[] h = sha.digest(message);
        sha.update(outer);
        return sha.digest(h);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
