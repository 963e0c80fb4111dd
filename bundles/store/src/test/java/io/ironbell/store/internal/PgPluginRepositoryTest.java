package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.plugin.PluginRepository;
import io.ironbell.api.store.StoreException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

/** The plugin repository on a real PostgreSQL, with bundles made here as bnd writes them. */
class PgPluginRepositoryTest {

    /** A bundle whose one DS component provides an ActionPlugin, as bnd writes its description. */
    static byte[] bundle(String name, String version, String type, String images, String salt) throws Exception {
        return bundle(name, version, type, images, salt, "io.ironbell.api.action.ActionPlugin");
    }

    static byte[] bundle(String name, String version, String type, String images, String salt, String provides) throws Exception {
        Manifest m = new Manifest();
        m.getMainAttributes().putValue("Manifest-Version", "1.0");
        m.getMainAttributes().putValue("Bundle-SymbolicName", name + ";singleton:=false");
        m.getMainAttributes().putValue("Bundle-Version", version);
        m.getMainAttributes().putValue("Service-Component", "OSGI-INF/com.acme.Raid.xml");
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" "
                + "name=\"com.acme.Raid\">\n  <property name=\"ironbell.action.type\" type=\"String\" value=\"" + type + "\"/>\n"
                + (images == null ? "" : "  <property name=\"ironbell.action.images\" type=\"String\">" + images + "\n  </property>\n")
                + "  <service>\n    <provide interface=\"" + provides + "\"/>\n  </service>\n"
                + "  <implementation class=\"com.acme.Raid\"/>\n</scr:component>\n";
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (JarOutputStream o = new JarOutputStream(b, m)) {
            o.putNextEntry(new JarEntry("OSGI-INF/com.acme.Raid.xml"));
            o.write(xml.getBytes(StandardCharsets.UTF_8));
            o.putNextEntry(new JarEntry("salt.txt"));
            o.write(salt.getBytes(StandardCharsets.UTF_8));
        }
        return b.toByteArray();
    }

    @Test
    void bundlesAreReadPinnedByImageImmutableAndDeleted() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            PgPluginRepository repo = new PgPluginRepository(t.start(Map.of()));
            byte[] v1 = bundle("com.acme.raid", "1.0.0", "raid", "\n    registry.acme/raid\n    ghcr.io/acme/raid-config", "a");
            PluginRepository.Pushed first = repo.push(v1, null, "admin");
            assertTrue(first.created());
            PluginRepository.Plugin p = first.plugin();
            assertEquals("com.acme.raid", p.symbolicName(), "the singleton directive is not part of the name");
            assertEquals("1.0.0", p.version());
            assertEquals(List.of("raid"), p.types());
            assertEquals(List.of("registry.acme/raid", "ghcr.io/acme/raid-config"), p.images());
            assertEquals(io.ironbell.api.plugin.PluginArtifact.digest(v1), p.digest());
            assertEquals(v1.length, p.size());
            assertArrayEquals(v1, repo.content(p.digest()).orElseThrow());
            PluginRepository.Pushed again = repo.push(v1, null, "admin");
            assertEquals(p, again.plugin(), "the same bytes again: nothing changes");
            assertTrue(!again.created());

            assertEquals(p.digest(), repo.forImage("registry.acme/raid:2").orElseThrow().digest(), "by prefix");
            assertEquals(p.digest(), repo.forImage("raid:latest").orElseThrow().digest(), "by type name");
            assertTrue(repo.forImage("registry.acme/raid2:1").isEmpty(), "a prefix matches whole name parts");
            assertTrue(repo.forImage("quay.io/tinkerbell-actions/image2disk:v1").isEmpty());

            byte[] v2 = bundle("com.acme.raid", "1.1.0", "raid", "registry.acme/raid", "b");
            Thread.sleep(5);
            PluginRepository.Plugin p2 = repo.push(v2, null, "admin").plugin();
            assertEquals(p2.digest(), repo.forImage("registry.acme/raid:2").orElseThrow().digest(), "the newest claim wins a tie");
            assertEquals(p.digest(), repo.forImage("ghcr.io/acme/raid-config:1").orElseThrow().digest(), "only version 1 claims that");

            StoreException conflict = assertThrows(StoreException.class, () -> repo.push(bundle("com.acme.raid", "1.1.0", "raid", null, "c"), null, "x"));
            assertEquals(StoreException.Reason.CONFLICT, conflict.reason());
            assertTrue(conflict.getMessage().contains("a version never changes"), conflict.getMessage());
            StoreException notJar = assertThrows(StoreException.class, () -> repo.push("hello".getBytes(StandardCharsets.US_ASCII), null, "x"));
            assertEquals(StoreException.Reason.INVALID, notJar.reason());
            StoreException noAction = assertThrows(StoreException.class, () -> repo.push(
                    bundle("com.acme.route", "1.0.0", "x", null, "d", "io.ironbell.api.http.HttpRoute"), null, "x"));
            assertEquals(StoreException.Reason.INVALID, noAction.reason());
            assertTrue(noAction.getMessage().contains("registers no action plugin"), noAction.getMessage());

            assertEquals(p2.digest(), repo.delete("com.acme.raid", "1.1.0").digest());
            assertEquals(p.digest(), repo.forImage("registry.acme/raid:2").orElseThrow().digest());
            assertEquals(StoreException.Reason.NOT_FOUND, assertThrows(StoreException.class, () -> repo.delete("com.acme.raid", "1.1.0")).reason());
            assertEquals(1, repo.list().size());
            assertEquals(List.of(), repo.list().get(0).machines(), "no workflow pinned it");
        }
    }

    @Test
    void withTrustedKeysOnlyAPluginSignedByOneOfThemIsTaken(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.security.KeyPairGenerator ec = java.security.KeyPairGenerator.getInstance("EC");
        ec.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair vendor = ec.generateKeyPair();
        java.security.KeyPair stranger = ec.generateKeyPair();
        java.security.KeyPair ed = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        java.nio.file.Path vendorPem = java.nio.file.Files.writeString(dir.resolve("vendor.pem"), pem(vendor.getPublic()));
        java.nio.file.Path edPem = java.nio.file.Files.writeString(dir.resolve("ed.pem"), pem(ed.getPublic()));
        try (TestDatabase t = new TestDatabase()) {
            PgPluginRepository repo = new PgPluginRepository(t.start(Map.of("plugins.trustedKeys", vendorPem + ", " + edPem)));
            byte[] jar = bundle("com.acme.raid", "1.0.0", "raid", "registry.acme/raid", "a");
            StoreException unsigned = assertThrows(StoreException.class, () -> repo.push(jar, null, "admin"));
            assertTrue(unsigned.getMessage().contains("signed plugins only"), unsigned.getMessage());
            StoreException foreign = assertThrows(StoreException.class, () -> repo.push(jar, sign("SHA256withECDSA", stranger, jar), "admin"));
            assertTrue(foreign.getMessage().contains("not a trusted key's signature"), foreign.getMessage());
            byte[] other = bundle("com.acme.raid", "1.0.0", "raid", "registry.acme/raid", "b");
            assertThrows(StoreException.class, () -> repo.push(other, sign("SHA256withECDSA", vendor, jar), "admin"), "the jar changed after signing");

            PluginRepository.Plugin p = repo.push(jar, sign("SHA256withECDSA", vendor, jar), "admin").plugin();
            assertEquals(io.ironbell.api.plugin.PluginArtifact.digest(vendor.getPublic().getEncoded()), p.signedBy());
            byte[] second = bundle("com.acme.raid", "1.0.1", "raid", "registry.acme/raid", "c");
            assertEquals(io.ironbell.api.plugin.PluginArtifact.digest(ed.getPublic().getEncoded()), repo.push(second, sign("Ed25519", ed, second), "admin").plugin().signedBy());
        }
    }

    private static byte[] sign(String alg, java.security.KeyPair k, byte[] data) throws Exception {
        java.security.Signature s = java.security.Signature.getInstance(alg);
        s.initSign(k.getPrivate());
        s.update(data);
        return s.sign();
    }

    private static String pem(java.security.PublicKey k) {
        return "-----BEGIN PUBLIC KEY-----\n" + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(k.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }
}
