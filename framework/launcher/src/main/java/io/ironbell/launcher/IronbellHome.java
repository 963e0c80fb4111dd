package io.ironbell.launcher;

import java.nio.file.Path;

/**
 * The directory an Ironbell distribution was unpacked to.
 *
 * @param root the distribution's top directory
 */
record IronbellHome(Path root) {

    /** {@code conf/ironbell.properties}. */
    Path configFile() {
        return root.resolve("conf").resolve("ironbell.properties");
    }

    /** {@code conf/logback.xml}, used instead of log.format and log.level when present. */
    Path logbackXml() {
        return root.resolve("conf").resolve("logback.xml");
    }

    /** {@code bundle/}: the system bundles, started in file-name order. */
    Path bundles() {
        return root.resolve("bundle");
    }

    /** {@code deploy/}: watched by FileInstall for bundles and .cfg files. */
    Path deploy() {
        return root.resolve("deploy");
    }

    /** {@code worker/}: the worker's own home, with its bundle/, deploy/ and data/. */
    IronbellHome worker() {
        return new IronbellHome(root.resolve("worker"));
    }

    /** {@code data/}: state kept across restarts. */
    Path data() {
        return root.resolve("data");
    }
}
