package io.ironbell.store.internal;

import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ImageClaims;
import io.ironbell.api.plugin.PluginArtifact;
import io.ironbell.api.plugin.PluginRepository;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Plugin bundles in PostgreSQL. What a bundle claims is read from the bundle itself, without
 * running it: its manifest (name, version, {@code Service-Component}) and its Declarative Services
 * descriptions, whose {@value ActionPlugin#TYPE} and {@value ActionPlugin#IMAGES} properties are
 * what the worker will match images against.
 */
@Component(service = PluginRepository.class)
public final class PgPluginRepository implements PluginRepository {

    /** Largest jar kept; the HTTP server's request limit usually bites first. */
    static final int MAX_BYTES = 64 << 20;

    private final Database db;

    @Activate
    public PgPluginRepository(@Reference Database db) {
        this.db = db;
    }

    /** What a bundle says about itself. */
    record Described(String symbolicName, String version, List<String> types, List<String> images) {
    }

    @Override
    public Pushed push(byte[] jar, byte[] signature, String pushedBy) throws StoreException {
        if (jar == null || jar.length == 0) {
            throw new StoreException(Reason.INVALID, "the plugin is empty: send the bundle's jar");
        }
        if (jar.length > MAX_BYTES) {
            throw new StoreException(Reason.INVALID, "the plugin is " + jar.length + " bytes; at most " + MAX_BYTES);
        }
        Described d = describe(jar);
        String signedBy = verify(jar, signature);
        String digest = PluginArtifact.digest(jar);
        return db.tx(s -> {
            Mappers.PluginSql sql = s.getMapper(Mappers.PluginSql.class);
            Map<String, Object> same = sql.byNameVersion(d.symbolicName(), d.version());
            if (same != null) {
                if (Rows.str(same, "digest").equals(digest)) {
                    return new Pushed(plugin(same), false); // pushed again, byte for byte: nothing to do
                }
                throw new StoreException(Reason.CONFLICT, d.symbolicName() + " " + d.version() + " was pushed before with other bytes ("
                        + Rows.str(same, "digest") + "); a version never changes: give the new one a new Bundle-Version");
            }
            sql.insert(digest, d.symbolicName(), d.version(), jar.length, String.join("\n", d.types()), String.join("\n", d.images()), jar,
                    pushedBy, signedBy);
            return new Pushed(plugin(sql.byDigest(digest)), true);
        });
    }

    @Override
    public List<Plugin> list() throws StoreException {
        return db.tx(s -> {
            Mappers.PluginSql sql = s.getMapper(Mappers.PluginSql.class);
            Map<String, List<String>> machines = new java.util.HashMap<>();
            for (Map<String, Object> m : sql.machines()) {
                machines.put(Rows.str(m, "digest"), lines(Rows.str(m, "machines")));
            }
            List<Plugin> out = new ArrayList<>();
            for (Map<String, Object> r : sql.all()) {
                Plugin p = plugin(r);
                out.add(new Plugin(p.symbolicName(), p.version(), p.digest(), p.size(), p.types(), p.images(), p.pushedAt(), p.pushedBy(),
                        p.signedBy(), machines.getOrDefault(p.digest(), List.of())));
            }
            return out;
        });
    }

    @Override
    public Optional<Plugin> forImage(String image) throws StoreException {
        Plugin best = null;
        int bestLength = -1;
        List<Plugin> all = new ArrayList<>();
        for (Map<String, Object> r : db.tx(s -> s.getMapper(Mappers.PluginSql.class).all())) {
            all.add(plugin(r)); // without the machines: this runs at every workflow's creation
        }
        for (Plugin p : all) {
            int length = ImageClaims.longestPrefix(image, p.images());
            if (length > bestLength || length == bestLength && length >= 0 && p.pushedAt().isAfter(best.pushedAt())) {
                best = p;
                bestLength = length;
            }
        }
        if (best != null) {
            return Optional.of(best);
        }
        return all.stream().filter(p -> p.types().stream().anyMatch(t -> ImageClaims.typeMatches(image, t)))
                .max(Comparator.comparing(Plugin::pushedAt));
    }

    @Override
    public Optional<Plugin> byDigest(String digest) throws StoreException {
        return Optional.ofNullable(db.tx(s -> s.getMapper(Mappers.PluginSql.class).byDigest(digest))).map(PgPluginRepository::plugin);
    }

    @Override
    public Optional<byte[]> content(String digest) throws StoreException {
        Map<String, Object> r = db.tx(s -> s.getMapper(Mappers.PluginSql.class).content(digest));
        return r == null ? Optional.empty() : Optional.of((byte[]) r.get("content"));
    }

    @Override
    public Plugin delete(String symbolicName, String version) throws StoreException {
        return db.tx(s -> {
            Mappers.PluginSql sql = s.getMapper(Mappers.PluginSql.class);
            Map<String, Object> r = sql.byNameVersion(symbolicName, version);
            if (r == null) {
                throw new StoreException(Reason.NOT_FOUND, "no plugin " + symbolicName + " " + version);
            }
            sql.delete(Rows.str(r, "digest"));
            return plugin(r);
        });
    }

    private static Plugin plugin(Map<String, Object> r) {
        return new Plugin(Rows.str(r, "symbolic_name"), Rows.str(r, "version"), Rows.str(r, "digest"), Rows.longValue(r, "size"),
                lines(Rows.str(r, "types")), lines(Rows.str(r, "images")), Rows.instant(r, "pushed_at"), Rows.str(r, "pushed_by"),
                Rows.str(r, "signed_by"), List.of());
    }

    private static List<String> lines(String s) {
        return s == null || s.isEmpty() ? List.of() : List.of(s.split("\n"));
    }

    /**
     * Checks the detached signature against the trusted keys ({@code storage.plugins.trustedKeys});
     * returns the fingerprint of the key that made it, or null when no keys are configured.
     */
    private String verify(byte[] jar, byte[] signature) throws StoreException {
        List<PublicKey> keys = keys();
        if (keys.isEmpty()) {
            return null;
        }
        if (signature == null || signature.length == 0) {
            throw new StoreException(Reason.INVALID, "this server takes signed plugins only (storage.plugins.trustedKeys): push it with "
                    + "--signature FILE.sig, a detached signature of the jar by a trusted key");
        }
        return PluginArtifact.signer(jar, signature, keys).orElseThrow(() -> new StoreException(Reason.INVALID,
                "the signature is not a trusted key's signature of this jar (" + keys.size()
                + " trusted keys in storage.plugins.trustedKeys): signed by another key, or the jar changed after it was signed"));
    }

    @Override
    public List<String> trustedKeys() throws StoreException {
        return keys().stream().map(PluginArtifact::pem).toList();
    }

    private List<PublicKey> keys() throws StoreException {
        String setting = db.config().plugins_trustedKeys();
        List<PublicKey> keys = new ArrayList<>();
        if (setting == null || setting.isBlank()) {
            return keys;
        }
        for (String file : setting.split(",")) {
            if (file.isBlank()) {
                continue;
            }
            try {
                keys.addAll(PluginArtifact.publicKeys(java.nio.file.Files.readString(java.nio.file.Path.of(file.trim()))));
            } catch (IOException | GeneralSecurityException e) {
                throw new StoreException(Reason.UNAVAILABLE, "storage.plugins.trustedKeys: cannot read " + file.trim() + ": " + e.getMessage());
            }
        }
        return keys;
    }

    /**
     * Reads a bundle's name, version and the action types and image prefixes its components claim.
     *
     * @throws StoreException INVALID, saying what is missing
     */
    static Described describe(byte[] jar) throws StoreException {
        Manifest manifest;
        Map<String, byte[]> entries = new java.util.HashMap<>();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            manifest = in.getManifest();
            for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                if (e.getName().startsWith("OSGI-INF/") && e.getName().endsWith(".xml")) {
                    entries.put(e.getName(), in.readNBytes(1 << 20));
                }
            }
        } catch (IOException e) {
            throw new StoreException(Reason.INVALID, "not a jar: " + e.getMessage());
        }
        if (manifest == null) {
            throw new StoreException(Reason.INVALID, "not a bundle: the jar has no META-INF/MANIFEST.MF (or it is not the first entry)");
        }
        Attributes a = manifest.getMainAttributes();
        String name = a.getValue("Bundle-SymbolicName");
        if (name == null || name.isBlank()) {
            throw new StoreException(Reason.INVALID, "not a bundle: its manifest has no Bundle-SymbolicName");
        }
        name = name.split(";")[0].trim();
        String version = a.getValue("Bundle-Version") == null ? "0.0.0" : a.getValue("Bundle-Version").trim();
        Set<String> types = new LinkedHashSet<>();
        Set<String> images = new LinkedHashSet<>();
        String components = a.getValue("Service-Component");
        if (components != null) {
            for (String c : components.split(",")) {
                byte[] xml = entries.get(c.trim());
                if (xml != null) {
                    readComponent(c.trim(), xml, types, images);
                }
            }
        }
        if (types.isEmpty()) {
            throw new StoreException(Reason.INVALID, name + " " + version + " registers no action plugin: none of its components (Service-Component "
                    + components + ") provides " + ActionPlugin.class.getName() + " with an " + ActionPlugin.TYPE + " property");
        }
        return new Described(name, version, List.copyOf(types), List.copyOf(images));
    }

    private static void readComponent(String name, byte[] xml, Set<String> types, Set<String> images) throws StoreException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            DocumentBuilder b = f.newDocumentBuilder();
            org.w3c.dom.Document doc = b.parse(new ByteArrayInputStream(xml));
            boolean provides = false;
            NodeList provide = doc.getElementsByTagNameNS("*", "provide");
            for (int i = 0; i < provide.getLength(); i++) {
                provides |= ActionPlugin.class.getName().equals(((Element) provide.item(i)).getAttribute("interface"));
            }
            if (!provides) {
                return;
            }
            NodeList props = doc.getElementsByTagNameNS("*", "property");
            for (int i = 0; i < props.getLength(); i++) {
                Element p = (Element) props.item(i);
                List<String> values = p.hasAttribute("value") ? List.of(p.getAttribute("value"))
                        : List.of(p.getTextContent().split("\n")).stream().map(String::trim).filter(v -> !v.isEmpty()).toList();
                if (ActionPlugin.TYPE.equals(p.getAttribute("name"))) {
                    types.addAll(values);
                } else if (ActionPlugin.IMAGES.equals(p.getAttribute("name"))) {
                    images.addAll(values);
                }
            }
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new StoreException(Reason.INVALID, "its component description " + name + " cannot be read: " + e.getMessage());
        }
    }
}
