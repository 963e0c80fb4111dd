package io.ironbell.engine.internal.gotemplate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The functions of Sprig's hermetic map whose output is random or read from the clock (randInt,
 * shuffle, ago, encryptAES, bcrypt, htpasswd, genPrivateKey and the certificate functions) cannot
 * be compared with Go byte for byte. Properties tie them to Go instead: Go decrypts, checks, reads
 * back and makes again what Ironbell makes (the reference's "verify" functions bcryptCheck and
 * certAgain: the certificate Go makes from Sprig's template with Ironbell's serial number, start
 * and key must be Ironbell's, byte for byte), OpenSSL parses and verifies the keys and
 * certificates, the draws are in range and even, and every corner that does not depend on chance
 * or the clock (errors, bounds, keys read and written again) is compared with Go exactly.
 */
public class NondeterministicFunctionsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static GoReference go;
    private static Path dir;

    @BeforeAll
    static void start() throws Exception {
        go = GoReference.start();
        dir = Files.createTempDirectory("ironbell-nondeterministic");
        assertTrue(openssl(null, "version").startsWith("OpenSSL"), "these tests need the openssl command (apt-get install openssl)");
    }

    @AfterAll
    static void stop() throws Exception {
        if (go != null) {
            go.close();
        }
        io.ironbell.testing.TempDirs.delete(dir);
    }

    // ---- randInt, shuffle ----

    @Test
    void randIntDrawsEvenlyFromItsRange() throws Exception {
        for (String t : List.of("{{ randInt 0 1 }}", "{{ randInt 7 8 }}", "{{ randInt -9223372036854775808 -9223372036854775807 }}",
                "{{ randInt 5 5 }}", "{{ randInt 3 1 }}", "{{ randInt -9223372036854775808 9223372036854775807 }}", "{{ randInt 1 \"2\" }}",
                "{{ randInt 1 }}", "{{ randInt 1 2.0 }}", "{{ randInt 0 3 | kindOf }}")) {
            sameAsGo(t, Map.of());
        }
        String draws = "{{ range until 20000 }}{{ randInt -3 7 }} {{ end }}";
        assertEven(counts(java(draws, Map.of()), -3, 10), 50);
        assertEven(counts(go(draws, Map.of()), -3, 10), 50);
        // the whole of int64 when the range asks for it: never negative, often past 2^62
        boolean high = false;
        for (String v : java("{{ range until 200 }}{{ randInt 0 9223372036854775807 }} {{ end }}", Map.of()).trim().split(" ")) {
            long x = Long.parseLong(v);
            assertTrue(x >= 0, v);
            high |= x > 1L << 62;
        }
        assertTrue(high, "draws reach the top quarter of the range");
    }

    @Test
    void shufflePermutesTheRunesEvenly() throws Exception {
        for (String t : List.of("{{ shuffle \"\" }}", "{{ shuffle \"a\" }}", "{{ shuffle \"\\xff\" | printf \"%q\" }}", "{{ shuffle \"zzzz\" }}",
                "{{ shuffle 1 }}", "{{ shuffle \"h\\xe9llo\\xe2\\x82 w\u00f6rld \u6f22\u5b57 \ud83d\ude42\" | len }}")) {
            sameAsGo(t, Map.of());
        }
        // the same runes as Go's shuffle of the same text, each byte that is not UTF-8 a U+FFFD
        for (String s : List.of("abcdef", "h\u00e9llo w\u00f6rld \u6f22\u5b57 \ud83d\ude42", "a\\xffb\\xe2\\x82c", "\\xf0\\x9f\\x99x")) {
            String t = "{{ shuffle \"" + s + "\" }}";
            assertEquals(sortedRunes(go(t, Map.of())), sortedRunes(java(t, Map.of())), s);
        }
        String draws = "{{ range until 6000 }}{{ shuffle \"abc\" }} {{ end }}";
        for (String out : List.of(java(draws, Map.of()), go(draws, Map.of()))) {
            Map<String, Integer> seen = new HashMap<>();
            for (String p : out.trim().split(" ")) {
                seen.merge(p, 1, Integer::sum);
            }
            assertEquals(6, seen.size(), seen.toString());
            assertEven(seen.values().stream().mapToInt(Integer::intValue).toArray(), 40);
        }
    }

    // ---- ago ----

    @Test
    void agoIsTheElapsedTimeRoundedAndPrintedAsGoDoes() throws Exception {
        // what does not depend on the clock: anything but a time or seconds is "now"; what int64 nanoseconds cannot hold saturates
        for (String t : List.of("{{ ago \"x\" }}", "{{ ago nil }}", "{{ ago 1.5 }}", "{{ ago (list 1) }}", "{{ ago (toDate \"2006\" \"0001\") }}",
                "{{ ago (toDate \"2006\" \"9999\") }}", "{{ ago (int64 -9223372036854775808) }}", "{{ ago (int64 9223372036854775807) }}",
                "{{ ago 9223372036854775807 }}", "{{ ago -9223372036854775808 }}", "{{ ago (int64 -9223372000) }}", "{{ ago }}",
                "{{ ago (toDate \"2006-01-02\" \"1700-01-01\") }}", "{{ ago (toDate \"2006-01-02\" \"2400-01-01\") }}")) {
            sameAsGo(t, Map.of());
        }
        // at a fixed now: the elapsed time rounded half away from zero to the second, printed as Go prints that many seconds
        Instant now = Instant.parse("2024-03-01T10:20:30Z");
        for (long seconds : new long[] {0, 1, 59, 60, 61, 3599, 3600, 3661, 86399, 86400L * 400 + 7, -1, -61, -3661, -86400L * 3000}) {
            for (long fraction : new long[] {0, 1, 499_999_999, 500_000_000, 999_999_999}) {
                long elapsed = seconds * 1_000_000_000L + (seconds < 0 ? -fraction : fraction);
                GoTime t = GoTime.parse("2006-01-02T15:04:05.999999999Z07:00", now.minusNanos(elapsed).toString());
                long rounded = new BigDecimal(elapsed).movePointLeft(9).setScale(0, RoundingMode.HALF_UP).longValueExact();
                assertEquals(go("{{ duration \"" + rounded + "\" }}", Map.of()), SprigRandom.ago(t, now), seconds + "s " + fraction + "ns");
            }
        }
        // on both clocks at once: the same times, within two seconds of each other
        for (String arg : List.of("(toDate \"2006-01-02\" \"2020-01-01\")", "1700000000", "(int64 1700000000)",
                "(toDate \"2006-01-02T15:04:05.999\" \"2019-06-30T23:59:59.500\")", "(toDate \"2006-01-02\" \"2100-01-01\")")) {
            String t = "{{ ago " + arg + " }}";
            long javaAgo = GoDuration.parse(java(t, Map.of()));
            long goAgo = GoDuration.parse(go(t, Map.of()));
            assertTrue(Math.abs(javaAgo - goAgo) <= 2_000_000_000L, t + ": " + javaAgo + " vs " + goAgo);
        }
    }

    // ---- encryptAES ----

    @Test
    void encryptAesMakesWhatGoDecrypts() throws Exception {
        sameAsGo("{{ encryptAES \"k\" \"\" }}", Map.of());
        sameAsGo("{{ encryptAES \"k\" 1 }}", Map.of());
        for (String password : List.of("", "k", "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef and more", "p\\xffw")) {
            for (String plain : List.of("a", "fifteen bytes!!", "exactly 16 bytes", "seventeen bytes!!", "h\u00e9llo \\xff\\x00 w\u00f6rld",
                    "x".repeat(100))) {
                String encrypt = "{{ encryptAES \"" + password + "\" \"" + plain + "\" }}";
                String encrypted = java(encrypt, Map.of());
                assertNotEquals(encrypted, java(encrypt, Map.of()), "a new IV each time");
                long length = Long.parseLong(java("{{ len \"" + plain + "\" }}", Map.of()));
                assertEquals(16 + 16 * (length / 16 + 1), Base64.getDecoder().decode(encrypted).length, plain);
                sameAsGo("{{ encryptAES \"" + password + "\" \"" + plain + "\" | len }}", Map.of());
                assertEquals(go("{{ \"" + plain + "\" | printf \"%q\" }}", Map.of()),
                        go("{{ decryptAES \"" + password + "\" \"" + encrypted + "\" | printf \"%q\" }}", Map.of()), password + " / " + plain);
            }
        }
    }

    // ---- bcrypt, htpasswd ----

    @Test
    void bcryptHashesAreGosAndGoChecksThem() throws Exception {
        // published vectors with their salts: Openwall's crypt_blowfish tests and x/crypto's own
        String[][] vectors = {{"U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"},
            {"U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"},
            {"U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a"}, {"", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"},
            {"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored",
                "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"},
            {"allmine", "$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga"},
            {"012345678901234567890123456789012345678901234567890123456", "$2a$10$XajjQvNhvvRt5GSeFk1xFe5l47dONXg781AmZtd869sO8zfsHuw7C"}};
        for (String[] v : vectors) {
            byte[] salt = bcryptBase64(v[1].substring(7, 29));
            assertEquals(v[1], Bcrypt.hash(v[0].getBytes(StandardCharsets.UTF_8), Integer.parseInt(v[1].substring(4, 6)), salt), v[0]);
        }
        String long72 = "0123456789".repeat(7) + "ab";
        for (String password : List.of("", "x", "p\u00e4ssw\u00f6rd", "\\xff\\x00", long72, long72 + "and what follows")) {
            String hash = java("{{ bcrypt \"" + password + "\" }}", Map.of());
            assertTrue(hash.matches("\\$2a\\$10\\$[./A-Za-z0-9]{53}"), hash);
            assertEquals("ok 10", go("{{ bcryptCheck \"" + hash + "\" \"" + password + "\" }}", Map.of()), password);
            assertEquals("crypto/bcrypt: hashedPassword is not the hash of the given password",
                    go("{{ bcryptCheck \"" + hash + "\" \"!" + password + "\" }}", Map.of()));
        }
        // as in x/crypto 0.4.0, bytes past the 72nd do not count
        String hash = java("{{ bcrypt \"" + long72 + "one tail\" }}", Map.of());
        assertEquals("ok 10", go("{{ bcryptCheck \"" + hash + "\" \"" + long72 + "another\" }}", Map.of()));
        sameAsGo("{{ bcrypt \"x\" | len }}", Map.of());
        sameAsGo("{{ htpasswd \"a:b\" \"x\" }}", Map.of());
        sameAsGo("{{ htpasswd \"a\" \"x\" | len }}", Map.of());
        for (String user : List.of("admin", "")) {
            String line = java("{{ htpasswd \"" + user + "\" \"s3cret\" }}", Map.of());
            assertTrue(line.startsWith(user + ":$2a$10$"), line);
            assertEquals("ok 10", go("{{ bcryptCheck \"" + line.substring(user.length() + 1) + "\" \"s3cret\" }}", Map.of()));
        }
    }

    // ---- genPrivateKey and keys read and written ----

    @Test
    void privateKeysAreInGosFormatsAndGoReadsThemBackTheSame() throws Exception {
        sameAsGo("{{ genPrivateKey \"foo\" }}", Map.of());
        sameAsGo("{{ genPrivateKey \"RSA\" }}", Map.of());
        String reread = "{{ (genSelfSignedCertWithKey \"x\" nil nil 1 .key).Key }}";
        for (String type : List.of("ecdsa", "ed25519", "rsa", "")) {
            String key = java("{{ genPrivateKey \"" + type + "\" }}", Map.of());
            assertEquals(firstLine(go("{{ genPrivateKey \"" + (type.isEmpty() ? "rsa" : type) + "\" }}", Map.of())), firstLine(key), type);
            // Go reads the key and writes it again as it came: the bytes are Go's
            assertEquals(key, go(reread, Map.of("key", key)), type);
            String text = openssl(key, "pkey", "-noout", "-text");
            switch (type) {
                case "ecdsa" -> assertTrue(text.contains("Private-Key: (256 bit)") && text.contains("ASN1 OID: prime256v1"), text);
                case "ed25519" -> assertTrue(text.startsWith("ED25519 Private-Key:"), text);
                default -> assertTrue(text.startsWith("Private-Key: (4096 bit, 2 primes)"), text);
            }
            if (!type.equals("ed25519")) {
                assertTrue(openssl(key, "pkey", "-noout", "-check").contains("valid"), type);
            }
        }
        // DSA: fresh L2048 N256 parameters, a key in them; Go reads it (and, as Sprig, cannot sign with it)
        String dsa = java("{{ genPrivateKey \"dsa\" }}", Map.of());
        assertEquals("-----BEGIN DSA PRIVATE KEY-----", firstLine(dsa));
        assertTrue(openssl(dsa, "pkey", "-noout", "-text").startsWith("Private-Key: (2048 bit)"));
        PrivateKeys.Dsa k = (PrivateKeys.Dsa) PrivateKeys.parsePem(dsa);
        assertEquals(2048, k.p().bitLength());
        assertEquals(256, k.q().bitLength());
        assertEquals(BigInteger.ZERO, k.p().subtract(BigInteger.ONE).mod(k.q()));
        assertEquals(BigInteger.ONE, k.g().modPow(k.q(), k.p()));
        assertEquals(k.y(), k.g().modPow(k.x(), k.p()));
        sameAsGo("{{ genSelfSignedCertWithKey \"x\" nil nil 1 .key }}", Map.of("key", dsa));
        // keys made elsewhere, read and written again exactly as Go writes them (PKCS #8 RSA becomes PKCS #1, SEC 1 EC keys get their public key)
        for (String key : List.of(openssl(null, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"),
                openssl(null, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-pkeyopt", "rsa_keygen_primes:3"),
                openssl(openssl(null, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"), "rsa", "-traditional"),
                ecKey("P-224", false), ecKey("P-256", true), ecKey("P-384", false), ecKey("P-521", true), ecKey("P-521", false),
                openssl(null, "genpkey", "-algorithm", "ED25519"))) {
            sameAsGo(reread, Map.of("key", key));
            assertTrue(java(reread, Map.of("key", key)).startsWith("-----BEGIN "), key);
        }
        // RFC 8032's first test key: the public key derived from its seed
        String seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
        String pem = GoPem.encode("PRIVATE KEY", HexFormat.of().parseHex("302e020100300506032b657004220420" + seed));
        X509Certificate cert = x509(java("{{ (genSelfSignedCertWithKey \"x\" nil nil 1 .key).Cert }}", Map.of("key", pem)));
        byte[] spki = cert.getPublicKey().getEncoded();
        assertEquals("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                HexFormat.of().formatHex(Arrays.copyOfRange(spki, spki.length - 32, spki.length)));
    }

    @Test
    void keyErrorsAreGos() throws Exception {
        String ec = ecKey("P-256", true);
        byte[] ecDer = der(ec);
        byte[] pkcs1 = der(openssl(openssl(null, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"), "rsa", "-traditional"));
        byte[] pkcs8 = der(openssl(null, "genpkey", "-algorithm", "ED25519"));
        Map<String, String> keys = new java.util.LinkedHashMap<>();
        keys.put("EC in RSA", GoPem.encode("RSA PRIVATE KEY", ecDer));
        keys.put("PKCS8 in RSA", GoPem.encode("RSA PRIVATE KEY", pkcs8));
        keys.put("PKCS1 in EC", GoPem.encode("EC PRIVATE KEY", pkcs1));
        keys.put("PKCS8 in EC", GoPem.encode("EC PRIVATE KEY", pkcs8));
        keys.put("PKCS1 in PKCS8", GoPem.encode("PRIVATE KEY", pkcs1));
        keys.put("EC in PKCS8", GoPem.encode("PRIVATE KEY", ecDer));
        keys.put("X25519", openssl(null, "genpkey", "-algorithm", "X25519"));
        keys.put("encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n");
        keys.put("certificate", "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n");
        keys.put("trailing", GoPem.encode("RSA PRIVATE KEY", Arrays.copyOf(pkcs1, pkcs1.length + 1)));
        keys.put("truncated", GoPem.encode("RSA PRIVATE KEY", Arrays.copyOf(pkcs1, pkcs1.length - 1)));
        keys.put("version as octets", "-----BEGIN RSA PRIVATE KEY-----\nMAMEAQE=\n-----END RSA PRIVATE KEY-----\n");
        keys.put("only a version", "-----BEGIN DSA PRIVATE KEY-----\nMAMCAQE=\n-----END DSA PRIVATE KEY-----\n");
        keys.put("not minimal", "-----BEGIN DSA PRIVATE KEY-----\nMAQCAgAB\n-----END DSA PRIVATE KEY-----\n");
        keys.put("long form length", "-----BEGIN DSA PRIVATE KEY-----\nMIEDAgEB\n-----END DSA PRIVATE KEY-----\n");
        keys.put("no end", "-----BEGIN RSA PRIVATE KEY-----\nMAA=\n");
        keys.put("headers", "x\n-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nMAMEAQE=\n-----END RSA PRIVATE KEY-----\n");
        keys.put("bad base64 then good", "-----BEGIN RSA PRIVATE KEY-----\n!!!\n-----END RSA PRIVATE KEY-----\n" + ec);
        for (Map.Entry<String, String> k : keys.entrySet()) {
            sameAsGo("{{ (genCAWithKey \"x\" 1 .key).Key }}", Map.of("key", k.getValue()), k.getKey());
        }
    }

    // ---- certificates ----

    /** Certificates of every kind, key and shape of argument: Go, given Ironbell's serial number, start and key, makes the same. */
    @Test
    void certificatesAreTheOnesGoMakesInTheirPlace() throws Exception {
        Map<String, String> keys = new java.util.LinkedHashMap<>();
        keys.put("rsa", openssl(null, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"));
        keys.put("ecdsa", java("{{ genPrivateKey \"ecdsa\" }}", Map.of()));
        keys.put("ed25519", java("{{ genPrivateKey \"ed25519\" }}", Map.of()));
        keys.put("p384", ecKey("P-384", false));
        keys.put("p224", ecKey("P-224", true));
        List<Object[]> shapes = List.of(new Object[] {"ironbell.example", List.of("10.0.0.1", "2001:db8::1", "::ffff:192.168.1.1"),
            List.of("ironbell.example", "*.ironbell.example"), 365}, new Object[] {"", List.of("127.0.0.1"), List.of(), 1},
            new Object[] {"\u00dcn\u00efcode & *", List.of(), List.of("a", ""), 36500}, new Object[] {"x", List.of(), List.of(), 0},
            new Object[] {"yesterday", List.of(), List.of(), -1}, new Object[] {"wraps", List.of(), List.of(), 106752});
        String caKey = keys.get("ecdsa");
        String ca = java("{{ $c := genCAWithKey \"Ironbell CA\" 30 .key }}{{ $c.Cert }}", Map.of("key", caKey));
        int n = 0;
        for (Map.Entry<String, String> key : keys.entrySet()) {
            for (Object[] shape : shapes) {
                String cn = (String) shape[0];
                int days = (Integer) shape[3];
                Map<String, Object> data = new HashMap<>(Map.of("key", key.getValue(), "cn", cn, "ips", shape[1], "dns", shape[2], "caCert", ca,
                        "caKey", caKey));
                long before = Instant.now().getEpochSecond();
                String[] self = java("{{ $c := genSelfSignedCertWithKey .cn .ips .dns " + days + " .key }}{{ $c.Cert }}|{{ $c.Key }}", data).split("\\|");
                String[] authority = java("{{ $c := genCAWithKey .cn " + days + " .key }}{{ $c.Cert }}|{{ $c.Key }}", data).split("\\|");
                String[] signed = java("{{ $ca := buildCustomCert (b64enc .caCert) (b64enc .caKey) }}"
                        + "{{ $c := genSignedCertWithKey .cn .ips .dns " + days + " $ca .key }}{{ $c.Cert }}|{{ $c.Key }}", data).split("\\|");
                long after = Instant.now().getEpochSecond();
                assertEquals(go("{{ (genSelfSignedCertWithKey \"x\" nil nil 1 .key).Key }}", data), self[1]);
                sameAsMadeByGo("self", self, data, key.getKey());
                sameAsMadeByGo("ca", authority, data, key.getKey());
                sameAsMadeByGo("signed", signed, data, "ecdsa");
                for (String[] made : List.of(self, authority, signed)) {
                    long[] validity = validity(made[0]);
                    assertTrue(validity[0] >= before && validity[0] <= after, "valid from now");
                    // whole seconds but where Go's nanoseconds wrap, and then the start's fraction can carry one more
                    long validFor = validity[1] - validity[0];
                    assertTrue(validFor == goDays(days) || days == 106752 && validFor == goDays(days) + 1, days + " days: " + validFor);
                }
                X509Certificate leaf = x509(signed[0]);
                leaf.verify(x509(ca).getPublicKey());
                if (days > 0 && days < 100_000) {
                    assertEquals(path("leaf", signed[0]) + ": OK", openssl(null, "verify", "-CAfile", path("ca", ca), path("leaf", signed[0])).trim());
                }
                String text = openssl(authority[0], "x509", "-noout", "-text");
                assertTrue(text.contains("CA:TRUE") && text.contains("Digital Signature, Key Encipherment, Certificate Sign")
                        && text.contains("TLS Web Server Authentication, TLS Web Client Authentication") && text.contains("Version: 3 (0x2)"), text);
                text = openssl(signed[0], "x509", "-noout", "-text");
                assertTrue(text.contains("CA:FALSE") && text.contains("Digital Signature, Key Encipherment\n") && text.contains("Issuer: CN = Ironbell CA"),
                        text);
                n++;
            }
        }
        assertEquals(keys.size() * shapes.size(), n);
    }

    /** genCA, genSelfSignedCert and genSignedCert make RSA keys of 2048 bits; Go's and Ironbell's CAs sign for each other. */
    @Test
    void certificatesWithNewKeysAndEachOthersAuthorities() throws Exception {
        Map<String, Object> data = new HashMap<>(Map.of("cn", "node", "ips", List.of("192.0.2.7"), "dns", List.of("node.example")));
        String[] authority = java("{{ $c := genCA \"Java CA\" 10 }}{{ $c.Cert }}|{{ $c.Key }}", data).split("\\|");
        String[] self = java("{{ $c := genSelfSignedCert .cn .ips .dns 10 }}{{ $c.Cert }}|{{ $c.Key }}", data).split("\\|");
        data.put("caCert", authority[0]);
        data.put("caKey", authority[1]);
        String[] signed = java("{{ $c := genSignedCert .cn .ips .dns 10 (buildCustomCert (b64enc .caCert) (b64enc .caKey)) }}{{ $c.Cert }}|{{ $c.Key }}",
                data).split("\\|");
        for (String[] made : List.of(authority, self, signed)) {
            assertTrue(openssl(made[1], "pkey", "-noout", "-text").startsWith("Private-Key: (2048 bit, 2 primes)"));
            assertEquals("-----BEGIN RSA PRIVATE KEY-----", firstLine(made[1]));
        }
        sameAsMadeByGo("ca", authority, Map.of("key", authority[1], "cn", "Java CA", "ips", List.of(), "dns", List.of(), "caCert", "", "caKey", ""), "rsa");
        data.put("key", self[1]);
        sameAsMadeByGo("self", self, data, "rsa");
        data.put("key", signed[1]);
        sameAsMadeByGo("signed", signed, data, "rsa");
        // Go signs with Ironbell's CA, Ironbell with Go's
        String goLeaf = go("{{ (genSignedCert \"go leaf\" nil (list \"go.example\") 3 (buildCustomCert (b64enc .caCert) (b64enc .caKey))).Cert }}", data);
        assertEquals(path("g", goLeaf) + ": OK", openssl(null, "verify", "-CAfile", path("jca", authority[0]), path("g", goLeaf)).trim());
        String[] goCa = go("{{ $c := genCA \"Go CA\" 10 }}{{ $c.Cert }}|{{ $c.Key }}", Map.of()).split("\\|");
        String javaLeaf = java("{{ (genSignedCert \"java leaf\" nil nil 3 (buildCustomCert (b64enc .c) (b64enc .k))).Cert }}",
                Map.of("c", goCa[0], "k", goCa[1]));
        assertEquals(path("j", javaLeaf) + ": OK", openssl(null, "verify", "-CAfile", path("gca", goCa[0]), path("j", javaLeaf)).trim());
        // the struct as templates see it
        for (String t : List.of("{{ typeOf (genCA \"x\" 1) }}", "{{ kindOf (genSelfSignedCert \"x\" nil nil 1) }}",
                "{{ keys (genCAWithKey \"x\" 1 .k | toJson | fromJson) | sortAlpha }}", "{{ (genCAWithKey \"x\" 1 .k).Cert | len | lt 500 }}",
                "{{ (genCAWithKey \"x\" 1 .k).Nope }}")) {
            sameAsGo(t, Map.of("k", java("{{ genPrivateKey \"ed25519\" }}", Map.of())));
        }
    }

    @Test
    void certificateErrorsAreGos() throws Exception {
        String ec = ecKey("P-256", true);
        String ed = java("{{ genPrivateKey \"ed25519\" }}", Map.of());
        String dsa = GoPem.encode("DSA PRIVATE KEY", Der.sequence(Der.integer(0), Der.integer(23), Der.integer(11), Der.integer(4), Der.integer(3),
                Der.integer(5)));
        String cert = java("{{ (genCAWithKey \"x\" 1 .k).Cert }}", Map.of("k", ec));
        byte[] certDer = der(cert);
        Map<String, Object> data = new HashMap<>(Map.of("ec", ec, "ed", ed, "dsa", dsa, "cert", cert,
                "trailing", GoPem.encode("CERTIFICATE", Arrays.copyOf(certDer, certDer.length + 1)),
                "truncated", GoPem.encode("CERTIFICATE", Arrays.copyOf(certDer, certDer.length - 1)),
                "keyAsCert", GoPem.encode("CERTIFICATE", der(ec))));
        data.put("v1", GoPem.encode("CERTIFICATE", Der.sequence(Der.sequence(Der.integer(1)))));
        data.put("v9", GoPem.encode("CERTIFICATE", Der.sequence(Der.sequence(Der.tlv(0xa0, Der.integer(9))))));
        for (String t : List.of("{{ genCAWithKey \"x\" 3 .dsa }}", "{{ genSelfSignedCertWithKey \"x\" nil nil 3 .dsa }}",
                "{{ genSignedCertWithKey \"x\" nil nil 3 (genCAWithKey \"ca\" 3 .ec) .dsa }}",
                "{{ genSignedCertWithKey \"x\" nil nil 3 (buildCustomCert (b64enc (genCAWithKey \"a\" 3 .ec).Cert) (b64enc .ed)) .ec }}",
                "{{ genSignedCertWithKey \"x\" nil nil 3 (buildCustomCert (b64enc .cert) (b64enc .dsa)) .ec }}",
                "{{ buildCustomCert (b64enc .keyAsCert) (b64enc .ec) }}", "{{ buildCustomCert (b64enc .trailing) (b64enc .ec) }}",
                "{{ buildCustomCert (b64enc .truncated) (b64enc .ec) }}", "{{ buildCustomCert (b64enc .v1) (b64enc .ec) }}",
                "{{ buildCustomCert (b64enc .v9) (b64enc .ec) }}", "{{ buildCustomCert (b64enc .cert) (b64enc .cert) }}",
                "{{ buildCustomCert (b64enc .cert) \"YQ\" }}", "{{ buildCustomCert \"YQ==\" (b64enc .ec) }}",
                "{{ (buildCustomCert (b64enc .cert) (b64enc .ec)).Key }}",
                "{{ genSelfSignedCertWithKey \"x\" (list \"1.2.3\") nil 3 .ec }}", "{{ genSelfSignedCertWithKey \"x\" (list \"01.2.3.4\") nil 3 .ec }}",
                "{{ genSelfSignedCertWithKey \"x\" (list \"fe80::1%eth0\") nil 3 .ec }}",
                "{{ genSelfSignedCertWithKey \"x\" (list 1) (list \"\\xff\") 3 .ec }}",
                "{{ genSelfSignedCertWithKey \"x\" (list \"::1\") (list 2.5) 3 .ec }}", "{{ genSelfSignedCertWithKey \"x\" nil (list \"\\xff\") 3 .ec }}",
                "{{ genSelfSignedCertWithKey \"x\" nil (list \"b\u00fccher.example\") 3 .ec }}", "{{ genSelfSignedCertWithKey \"\\xff\" nil nil 3 .ec }}",
                "{{ genSelfSignedCertWithKey \"x\" \"10.0.0.1\" nil 3 .ec }}", "{{ genSignedCert \"x\" nil nil 3 (dict) }}", "{{ genCA \"x\" \"3\" }}",
                "{{ genCA \"x\" }}", "{{ genSignedCertWithKey \"x\" nil nil 3 (buildCustomCert (b64enc .cert) (b64enc .ec)) \"\" }}")) {
            sameAsGo(t, data);
        }
    }

    // ---- helpers ----

    /** Go's certificate in place of Ironbell's {cert, key} (certAgain): the same DER, or for an ECDSA signer (whose signatures are random) the same TBSCertificate. */
    private static void sameAsMadeByGo(String kind, String[] made, Map<String, Object> data, String signerType) throws Exception {
        Map<String, Object> d = new HashMap<>(data);
        d.put("kind", kind);
        d.put("made", made[0]);
        d.put("madeKey", made[1]);
        if (kind.equals("ca")) {
            // Sprig's CA has no alternative names
            d.put("ips", List.of());
            d.put("dns", List.of());
        }
        String again = go("{{ certAgain .kind .made .madeKey .cn .ips .dns .caCert .caKey }}", d);
        String what = kind + " " + signerType + " " + data.get("cn") + " " + validity(made[0])[1];
        assertTrue(again.startsWith("-----BEGIN CERTIFICATE-----"), what + ": " + again);
        if (signerType.equals("rsa") || signerType.equals("ed25519")) {
            assertEquals(again, made[0], what);
        } else {
            assertArrayEquals(Der.read(der(again)).children().get(0).encoded(), Der.read(der(made[0])).children().get(0).encoded(), what);
            assertTrue(openssl(null, "x509", "-noout", "-in", path("made", made[0])).isEmpty());
        }
    }

    /** time.Hour * 24 * time.Duration(days) in seconds, wrapping as Go's int64 nanoseconds do. */
    private static long goDays(long days) {
        return Math.floorDiv(24 * 3600 * 1_000_000_000L * days, 1_000_000_000L);
    }

    /** Ironbell's output, or "ERROR " and what follows the error's position. */
    private static String java(String text, Map<String, Object> data) throws Exception {
        String[] error = new String[1];
        String out = DifferentialTest.java(text, JSON.valueToTree(data), "error", error, true);
        if (out != null) {
            return out;
        }
        String e = error[0];
        String context = "executing \"t\": ";
        return "ERROR " + (e.contains(context) ? e.substring(e.indexOf(context) + context.length()) : e);
    }

    /** Go's output (with the "verify" functions), or "ERROR " and Go's error whole. */
    private static String go(String text, Map<String, Object> data) throws Exception {
        GoReference.Answer a = go.render("t", text, JSON.valueToTree(data), "error", "verify");
        return a.ok() ? a.out() : "ERROR " + a.error();
    }

    private static void sameAsGo(String text, Map<String, Object> data) throws Exception {
        sameAsGo(text, data, text);
    }

    /** The same output, or the same error (Go's ends with Ironbell's, which has no column and no node). */
    private static void sameAsGo(String text, Map<String, ?> data, String what) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) data;
        String expected = go(text, d);
        String actual = java(text, d);
        if (expected.startsWith("ERROR ") && actual.startsWith("ERROR ")) {
            String tail = actual.substring("ERROR ".length());
            assertTrue(expected.endsWith(": " + tail), what + "\ngo:   " + expected + "\njava: " + actual);
        } else {
            assertEquals(expected, DifferentialTest.asSentByGo(actual), what);
        }
    }

    private static int[] counts(String draws, int min, int n) {
        int[] counts = new int[n];
        for (String v : draws.trim().split(" ")) {
            int x = Integer.parseInt(v) - min;
            assertTrue(x >= 0 && x < n, v);
            counts[x]++;
        }
        return counts;
    }

    /** Pearson's chi-squared against even counts, under a bound that chance exceeds about once in ten million. */
    private static void assertEven(int[] counts, double bound) {
        double expected = Arrays.stream(counts).sum() / (double) counts.length;
        double chi2 = Arrays.stream(counts).mapToDouble(c -> (c - expected) * (c - expected) / expected).sum();
        assertTrue(Arrays.stream(counts).allMatch(c -> c > 0) && chi2 < bound, Arrays.toString(counts) + " chi2 " + chi2);
    }

    private static String sortedRunes(String s) {
        int[] runes = s.codePoints().sorted().toArray();
        return new String(runes, 0, runes.length);
    }

    private static String firstLine(String s) {
        return s.substring(0, s.indexOf('\n'));
    }

    private static byte[] der(String pem) {
        return GoPem.decode(pem.getBytes(StandardCharsets.UTF_8)).bytes();
    }

    private static X509Certificate x509(String pem) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der(pem)));
    }

    /** A certificate's NotBefore and NotAfter in Unix seconds, read from its DER (the JDK refuses an empty issuer, Go does not). */
    private static long[] validity(String pem) {
        List<Der.Element> times = Der.read(der(pem)).children().get(0).children().get(4).children();
        long[] out = new long[2];
        for (int i = 0; i < 2; i++) {
            String text = new String(times.get(i).content(), StandardCharsets.US_ASCII);
            if (times.get(i).tag() == Der.UTC_TIME) {
                text = (text.compareTo("50") < 0 ? "20" : "19") + text;
            }
            out[i] = java.time.LocalDateTime.parse(text, java.time.format.DateTimeFormatter.ofPattern("uuuuMMddHHmmss'Z'"))
                    .toEpochSecond(java.time.ZoneOffset.UTC);
        }
        return out;
    }

    /** bcrypt's base64 of a salt, decoded. */
    private static byte[] bcryptBase64(String s) {
        String bcrypt = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        String standard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(standard.charAt(bcrypt.indexOf(c)));
        }
        return Base64.getDecoder().decode(b.append("==").toString());
    }

    /** An EC key from OpenSSL on a named curve: PKCS #8, or SEC 1. */
    private static String ecKey(String curve, boolean sec1) throws Exception {
        String pkcs8 = openssl(null, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + curve, "-pkeyopt", "ec_param_enc:named_curve");
        return sec1 ? openssl(pkcs8, "ec") : pkcs8;
    }

    private static String path(String name, String content) throws Exception {
        Path p = dir.resolve(name + ".pem");
        Files.writeString(p, content);
        return p.toString();
    }

    /** The openssl command's output (stderr apart); it must succeed. */
    private static String openssl(String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl " + String.join(" ", args) + " failed: " + out);
        return out;
    }
}
