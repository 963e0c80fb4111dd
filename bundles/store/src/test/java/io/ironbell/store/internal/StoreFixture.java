package io.ironbell.store.internal;

import java.util.Map;

/**
 * The store's services on a fresh test database, for other bundles' tests against real
 * PostgreSQL (the engine's). Close it to stop them and drop the database.
 */
public final class StoreFixture implements AutoCloseable {

    public final TestDatabase database;
    public final PgHardwareStore hardware;
    public final PgTemplateStore templates;
    public final PgWorkflowStore workflows;
    public final PgEventStore events;
    public final PgMachineLogStore logs;
    public final PgBmcStore bmc;
    public final PgManifestStore manifests;
    public final PgDiscoveryStore discovery;
    public final PgAddressPools pools;
    private final java.nio.file.Path secretsKey;
    private Database db;

    public StoreFixture() throws Exception {
        database = new TestDatabase();
        db = database.start(Map.of());
        hardware = new PgHardwareStore(db);
        templates = new PgTemplateStore(db);
        workflows = new PgWorkflowStore(db);
        events = new PgEventStore(db);
        logs = new PgMachineLogStore(db);
        bmc = new PgBmcStore(db);
        secretsKey = java.nio.file.Files.createTempDirectory("store-fixture").resolve("secrets.key");
        manifests = new PgManifestStore(db, secretsKey);
        discovery = new PgDiscoveryStore(db);
        pools = new PgAddressPools(db);
    }

    /** The store's transactions, as the {@code Transactions} service. */
    public io.ironbell.api.store.Transactions transactions() {
        return db;
    }

    /** Adds a listener for change notifications, as the OSGi whiteboard would. */
    public void addChangeListener(io.ironbell.api.store.ChangeListener listener) {
        db.addListener(listener);
    }

    /** Stops the database component and starts a new one on the same database: a server restart. */
    public StoreFixture restart() throws Exception {
        hardware.deactivate();
        manifests.deactivate();
        db.deactivate();
        db = database.start(Map.of());
        return new StoreFixture(this);
    }

    private StoreFixture(StoreFixture old) {
        database = old.database;
        db = old.db;
        hardware = new PgHardwareStore(db);
        templates = new PgTemplateStore(db);
        workflows = new PgWorkflowStore(db);
        events = new PgEventStore(db);
        logs = new PgMachineLogStore(db);
        bmc = new PgBmcStore(db);
        secretsKey = old.secretsKey;
        manifests = new PgManifestStore(db, secretsKey);
        discovery = new PgDiscoveryStore(db);
        pools = new PgAddressPools(db);
    }

    @Override
    public void close() throws Exception {
        hardware.deactivate();
        manifests.deactivate();
        db.deactivate();
        database.close();
        java.nio.file.Files.deleteIfExists(secretsKey);
        java.nio.file.Files.deleteIfExists(secretsKey.getParent());
    }
}
