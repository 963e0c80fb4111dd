package io.ironbell.store.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.manifest.Manifest;
import io.ironbell.api.manifest.ManifestStore;
import io.ironbell.api.store.ChangeListener;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Applied objects in the {@code manifest} table; Secrets' values sealed by a {@link SecretBox}.
 * Hardware objects are also kept in memory (every instance, through notifications), for each
 * workflow creation reads its hardware's.
 */
@Component(service = ManifestStore.class)
public final class PgManifestStore implements ManifestStore, ChangeListener {

    private static final TypeReference<Map<String, String>> STRINGS = new TypeReference<>() {
    };

    private static final String HARDWARE = "Hardware";

    private final Database db;
    private final Path keyFile;
    private volatile SecretBox box;
    private final Map<String, Manifest> hardwareObjects = new ConcurrentHashMap<>();
    private volatile boolean loaded;

    @Activate
    public PgManifestStore(@Reference Database db, BundleContext context) {
        this(db, keyFile(db, context));
    }

    PgManifestStore(Database db, Path keyFile) {
        this.db = db;
        this.keyFile = keyFile;
        db.addListener(this);
        if (db.isReady()) {
            resync();
        }
    }

    @Deactivate
    void deactivate() {
        db.removeListener(this);
    }

    @Override
    public void changed(String table, String id) {
        if (!table.equals("manifest") || !id.startsWith(HARDWARE + "/")) {
            return;
        }
        String name = id.substring(HARDWARE.length() + 1);
        try {
            Map<String, Object> row = db.tx(s -> s.getMapper(Mappers.ManifestSql.class).get(HARDWARE, name));
            if (row == null) {
                hardwareObjects.remove(name);
            } else {
                hardwareObjects.put(name, manifest(row));
            }
        } catch (StoreException e) {
            // the listener reconnects and resyncs
            loaded = false;
        }
    }

    @Override
    public synchronized void resync() {
        try {
            Map<String, Manifest> all = new java.util.HashMap<>();
            for (Manifest m : fromDatabase(HARDWARE)) {
                all.put(m.name(), m);
            }
            hardwareObjects.keySet().retainAll(all.keySet());
            hardwareObjects.putAll(all);
            loaded = true;
        } catch (StoreException e) {
            loaded = false;
        }
    }

    private static Path keyFile(Database db, BundleContext context) {
        String configured = db.config().secrets_keyFile();
        if (!configured.isBlank()) {
            return Path.of(configured);
        }
        String home = context.getProperty("ironbell.home");
        return home != null ? Path.of(home, "data", "secrets.key") : context.getDataFile("secrets.key").toPath();
    }

    @Override
    public Optional<Manifest> find(String kind, String name) throws StoreException {
        // a transaction sees its own writes only in the database
        if (kind.equals(HARDWARE) && loaded && !db.inTransaction()) {
            return Optional.ofNullable(hardwareObjects.get(name));
        }
        Map<String, Object> row = db.tx(s -> s.getMapper(Mappers.ManifestSql.class).get(kind, name));
        return row == null ? Optional.empty() : Optional.of(manifest(row));
    }

    @Override
    public List<Manifest> list(String kind) throws StoreException {
        return fromDatabase(kind);
    }

    private List<Manifest> fromDatabase(String kind) throws StoreException {
        List<Manifest> out = new ArrayList<>();
        for (Map<String, Object> row : db.tx(s -> s.getMapper(Mappers.ManifestSql.class).list(kind))) {
            out.add(manifest(row));
        }
        return out;
    }

    @Override
    public Manifest put(String kind, String name, String namespace, ObjectNode object) throws StoreException {
        return db.tx(s -> {
            Mappers.ManifestSql sql = s.getMapper(Mappers.ManifestSql.class);
            sql.put(kind, name, namespace, Rows.json(object));
            Manifest stored = manifest(sql.get(kind, name));
            if (kind.equals(HARDWARE)) {
                db.afterCommit(() -> hardwareObjects.put(name, stored));
            }
            return stored;
        });
    }

    @Override
    public void delete(String kind, String name) throws StoreException {
        db.tx(s -> {
            if (s.getMapper(Mappers.ManifestSql.class).delete(kind, name) == 0) {
                throw new StoreException(Reason.NOT_FOUND, "no " + kind + " " + name);
            }
            if (kind.equals(HARDWARE)) {
                db.afterCommit(() -> hardwareObjects.remove(name));
            }
            return null;
        });
    }

    @Override
    public void putSecret(String name, Map<String, byte[]> values) throws StoreException {
        Map<String, String> encoded = new LinkedHashMap<>();
        values.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v)));
        byte[] sealed = box().seal("Secret/" + name, Rows.json(encoded).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        if (db.tx(s -> s.getMapper(Mappers.ManifestSql.class).putSecret(name, sealed)) == 0) {
            throw new StoreException(Reason.NOT_FOUND, "no Secret " + name + " to keep values for");
        }
    }

    @Override
    public Map<String, byte[]> secret(String name) throws StoreException {
        Map<String, Object> row = db.tx(s -> s.getMapper(Mappers.ManifestSql.class).secret(name));
        byte[] sealed = row == null ? null : (byte[]) row.get("secret");
        if (sealed == null) {
            throw new StoreException(Reason.NOT_FOUND, "Secret " + name + " has no values");
        }
        byte[] plain;
        try {
            plain = box().open("Secret/" + name, sealed);
        } catch (GeneralSecurityException e) {
            throw new StoreException(Reason.UNAVAILABLE, "Secret " + name + " does not decrypt with the key in " + keyFile
                    + " (another server's key, or a restored database without its key)");
        }
        Map<String, byte[]> values = new LinkedHashMap<>();
        Rows.fromJson(new String(plain, java.nio.charset.StandardCharsets.UTF_8), STRINGS)
                .forEach((k, v) -> values.put(k, Base64.getDecoder().decode(v)));
        return values;
    }

    private SecretBox box() throws StoreException {
        SecretBox b = box;
        if (b == null) {
            synchronized (this) {
                if (box == null) {
                    try {
                        box = SecretBox.open(keyFile);
                    } catch (IOException e) {
                        throw new StoreException(Reason.UNAVAILABLE, "cannot use the secrets key " + keyFile + ": " + e.getMessage());
                    }
                }
                b = box;
            }
        }
        return b;
    }

    private static Manifest manifest(Map<String, Object> r) {
        return new Manifest(Rows.str(r, "kind"), Rows.str(r, "name"), Rows.str(r, "namespace"),
                Rows.fromJson(Rows.str(r, "object"), ObjectNode.class), Rows.longValue(r, "generation"), Rows.instant(r, "created_at"),
                Rows.instant(r, "updated_at"));
    }
}
