package io.ironbell.launcher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ironbell server [--console] [-Dkey=value ...]}: runs the Ironbell server in the
 * foreground until SIGTERM or SIGINT, then stops every bundle and exits. Also
 * {@code ironbell worker --server URL --id MAC}: the worker, in a container of its own made of
 * the distribution's {@code worker/} (its bundles, its {@code deploy/} and {@code data/}).
 *
 * <p>The distribution's home directory comes from the system property {@code ironbell.home}
 * (set by {@code bin/ironbell}), else the working directory.
 */
public final class Main {

    /** Exit code for a configuration the server cannot start with. */
    static final int EXIT_CONFIG = 78;

    /** Exit code for a container that failed to start. */
    static final int EXIT_START = 70;

    /** Milliseconds that stopping may take before the process exits anyway. */
    static final long STOP_MILLIS = 4_000;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length > 0 && args[0].equals("assemble")) {
            return Assembler.run(Path.of(System.getProperty("ironbell.home", ".")).toAbsolutePath().normalize(), args);
        }
        boolean worker = args.length > 0 && args[0].equals("worker");
        if (args.length > 0 && args[0].equals("restore")) {
            return restore(args);
        }
        if (args.length == 0 || !args[0].equals("server") && !worker) {
            System.err.println("usage: ironbell server [--console] [-Dkey=value ...] | worker --server URL --id MAC [--ca-fingerprint sha256:HEX | --ca FILE]"
                    + " [--token-file FILE] [--state DIR]"
                    + " [-Dkey=value ...] | assemble --features F1,F2 --out DIR [...] | restore --to TIME | --list");
            return 64;
        }
        boolean console = false;
        Map<String, String> overrides = new HashMap<>();
        for (String sp : System.getProperties().stringPropertyNames()) {
            overrides.put(sp, System.getProperty(sp));
        }
        Map<String, String> workerOptions = Map.of("--server", "worker.server", "--id", "worker.id", "--token", "worker.token",
                "--state", "worker.stateDir", "--ca-fingerprint", "worker.caFingerprint", "--ca", "worker.ca");
        List<String> unknown = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--console") && !worker) {
                console = true;
            } else if (worker && a.equals("--token-file") && i + 1 < args.length) {
                // a token on the command line is in every `ps`: from a file (or IRONBELL_WORKER_TOKEN) it is not
                String file = args[++i];
                try {
                    overrides.put("worker.token", java.nio.file.Files.readString(Path.of(file)).trim());
                } catch (java.io.IOException e) {
                    System.err.println("ironbell worker: cannot read --token-file " + file + ": " + e.getMessage());
                    return EXIT_CONFIG;
                }
            } else if (worker && workerOptions.containsKey(a) && i + 1 < args.length) {
                if (a.equals("--token")) {
                    System.err.println("ironbell worker: --token shows the token to everyone who runs ps; prefer --token-file FILE"
                            + " or IRONBELL_WORKER_TOKEN");
                }
                overrides.put(workerOptions.get(a), args[++i]);
            } else if (a.startsWith("-D") && a.indexOf('=') > 2) {
                overrides.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else {
                unknown.add(a);
            }
        }
        if (!unknown.isEmpty()) {
            System.err.println("ironbell " + args[0] + ": unknown arguments " + unknown);
            return 64;
        }
        IronbellHome distribution = new IronbellHome(Path.of(System.getProperty("ironbell.home", ".")).toAbsolutePath().normalize());
        IronbellHome home = worker ? distribution.worker() : distribution;
        Settings settings;
        List<String> unknownKeys;
        try {
            settings = Settings.load(distribution.configFile(), System.getenv(), overrides);
            unknownKeys = settings.validate();
            Logging.configure(settings.get("log.format", "text"), settings.get("log.level", "INFO"), distribution.logbackXml());
            if (worker) {
                checkWorker(settings.get("worker.server", ""), settings.get("worker.id", ""));
            }
            FileGuard.check(distribution, home);
        } catch (SettingsException | java.io.IOException e) {
            System.err.println("ironbell: " + e.getMessage());
            return EXIT_CONFIG;
        }
        Logger log = LoggerFactory.getLogger(Main.class);
        if (!unknownKeys.isEmpty()) {
            log.warn("settings no component declares (a typo?): {}", unknownKeys);
        }
        if (!worker) {
            String banner = settings.get("edition.banner", "");
            log.info("{}{}", settings.get("edition.name", "Ironbell"), banner.isBlank() ? "" : ": " + banner);
        }
        // registered before anything starts, so that a SIGTERM during the start (even during the embedded
        // database's initdb) waits for what is starting and stops it, instead of leaving it half made
        Lifecycle life = new Lifecycle(log);
        Runtime.getRuntime().addShutdownHook(new Thread(life::stop, "ironbell-shutdown"));
        // an edition without the store (ironbell assemble) needs no database
        if (!worker && settings.get("storage.jdbc.url", "").isBlank() && hasStore(home)) {
            synchronized (life) {
                try {
                    life.database = EmbeddedDatabase.start(home.data().resolve("postgres"), settings.getInt("storage.embedded.port", 0),
                            Duration.ofSeconds(settings.getInt("storage.embedded.startTimeoutSeconds", 120)),
                            ContinuousArchive.serverConfig(settings, home));
                    settings = settings.with(life.database.settings());
                } catch (Exception e) {
                    log.error("cannot start the embedded PostgreSQL in {}: {}", home.data().resolve("postgres"), e.getMessage(), e);
                    return EXIT_START;
                }
            }
        }
        if (!worker && hasStore(home)) {
            synchronized (life) {
                try {
                    life.archiver = ContinuousArchive.start(settings, home, Optional.ofNullable(life.database)).orElse(null);
                } catch (Exception e) {
                    log.error("cannot start the continuous archive (archive.target): {}", e.getMessage(), e);
                    life.stop();
                    return EXIT_START;
                }
            }
        }
        Container container = new Container(home, settings, console);
        synchronized (life) {
            if (life.stopped) {
                return 0;
            }
            life.container = container;
        }
        try {
            container.start();
            container.awaitStop();
            log.info("stopped");
            return 0;
        } catch (Exception e) {
            log.error("cannot start: {}", e.getMessage(), e);
            return EXIT_START;
        }
    }

    /** What runs, for the shutdown hook: the container and the embedded database, each once started. */
    private static final class Lifecycle {
        private final Logger log;
        private EmbeddedDatabase database;
        private io.ironbell.launcher.archive.Archiver archiver;
        private Container container;
        private boolean stopped;

        Lifecycle(Logger log) {
            this.log = log;
        }

        /** Stops the bundles first, so that nothing writes to the database while it stops. */
        synchronized void stop() {
            stopped = true;
            try {
                log.info("stopping");
                if (container != null && !container.stop(STOP_MILLIS)) {
                    log.warn("bundles did not stop within {} ms; exiting anyway", STOP_MILLIS);
                }
            } catch (Exception e) {
                log.warn("stop failed", e);
            }
            if (archiver != null) {
                archiver.stop();
            }
            if (database != null) {
                database.close();
                database = null;
            }
            if (archiver != null) {
                // after the database: its last finished segments too
                archiver.close();
                archiver = null;
            }
        }
    }

    /** {@code ironbell restore --to TIME | --list}: point-in-time recovery from the continuous archive, the server stopped. */
    private static int restore(String[] args) {
        IronbellHome home = new IronbellHome(Path.of(System.getProperty("ironbell.home", ".")).toAbsolutePath().normalize());
        Map<String, String> overrides = new HashMap<>();
        for (String sp : System.getProperties().stringPropertyNames()) {
            overrides.put(sp, System.getProperty(sp));
        }
        for (String a : args) {
            if (a.startsWith("-D") && a.indexOf('=') > 2) {
                overrides.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            }
        }
        try {
            Settings settings = Settings.load(home.configFile(), System.getenv(), overrides);
            Logging.configure(settings.get("log.format", "text"), settings.get("log.level", "INFO"), home.logbackXml());
            return ContinuousArchive.restore(args, settings, home);
        } catch (SettingsException e) {
            System.err.println("ironbell restore: " + e.getMessage());
            return EXIT_CONFIG;
        }
    }

    private static boolean hasStore(IronbellHome home) {
        try {
            return Assembler.bundles(home.root().resolve("bundle")).containsKey("io.ironbell.store");
        } catch (java.io.IOException e) {
            return true;
        }
    }

    /** The worker cannot do anything without its server and its MAC: refuse to start, saying so. */
    static void checkWorker(String server, String id) throws SettingsException {
        if (server.isBlank() || id.isBlank()) {
            throw new SettingsException("ironbell worker needs --server URL and --id MAC (or worker.server and worker.id)");
        }
        if (!server.matches("https?://[^/\\s]+.*")) {
            throw new SettingsException("--server must be the server's http(s)://host:port, was '" + server + "'");
        }
        if (!id.trim().matches("(?i)[0-9a-f]{2}([:-][0-9a-f]{2}){5}")) {
            throw new SettingsException("--id must be this machine's MAC address (52:54:00:12:34:56), was '" + id + "'");
        }
    }

}
