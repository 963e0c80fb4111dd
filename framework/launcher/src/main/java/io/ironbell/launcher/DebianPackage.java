package io.ironbell.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * An edition as a Debian package, written in Java (no dpkg-deb on the build machine): the
 * {@code ar} archive of {@code debian-binary}, {@code control.tar.gz} and {@code data.tar.gz} that
 * dpkg reads, made with Commons Compress, which the launcher already carries; the package layout
 * is a few dozen lines, which is why this is not jdeb (6.7 MB with Maven's and Ant's APIs).
 *
 * <pre>
 * /opt/NAME/                     the edition (bin, lib, bundle, worker, features, sdk, edition.properties)
 * /opt/NAME/conf -> /etc/NAME    configuration: ironbell.properties, a conffile (an upgrade keeps the operator's edits)
 * /opt/NAME/data -> /var/lib/NAME state, owned by the system user NAME (an upgrade never touches it; purge removes it)
 * /var/lib/NAME/artifacts/osie/  the in-memory OS, replaced by an upgrade
 * /lib/systemd/system/NAME.service
 * </pre>
 */
final class DebianPackage {

    private DebianPackage() {
    }

    /**
     * Writes {@code deb} from the edition at {@code edition}.
     *
     * @param name    the package's name (also the system user's, the unit's and the directories')
     * @param version its Debian version
     */
    static void write(Path edition, Path deb, String name, String version, String description) throws IOException {
        if (!name.matches("[a-z0-9][a-z0-9+.-]+")) {
            throw new IOException("a Debian package name is lower-case letters, digits, '+', '-' and '.': '" + name + "'");
        }
        if (!version.matches("[0-9][A-Za-z0-9.+~:-]*")) {
            throw new IOException("a Debian version starts with a digit: '" + version + "'");
        }
        String opt = "opt/" + name;
        String etc = "etc/" + name;
        String state = "var/lib/" + name;
        Path data = Files.createTempFile(deb.toAbsolutePath().getParent(), "data", ".tar.gz");
        try (TarArchiveOutputStream tar = tar(Files.newOutputStream(data))) {
            dir(tar, "./");
            for (String d : List.of("opt/", opt + "/", "etc/", etc + "/", "var/", "var/lib/", state + "/", "lib/", "lib/systemd/",
                    "lib/systemd/system/")) {
                dir(tar, "./" + d);
            }
            List<Path> files;
            try (Stream<Path> walk = Files.walk(edition)) {
                files = walk.sorted().toList();
            }
            for (Path p : files) {
                String rel = edition.relativize(p).toString().replace('\\', '/');
                if (rel.isEmpty() || rel.equals("conf") || rel.startsWith("conf/") || rel.equals("data") || rel.startsWith("data/")) {
                    continue;
                }
                add(tar, "./" + opt + "/" + rel, p);
            }
            link(tar, "./" + opt + "/conf", "/" + etc);
            link(tar, "./" + opt + "/data", "/" + state);
            add(tar, "./" + etc + "/ironbell.properties", edition.resolve("conf/ironbell.properties"));
            Path artifacts = edition.resolve("data/artifacts");
            if (Files.isDirectory(artifacts)) {
                try (Stream<Path> walk = Files.walk(artifacts)) {
                    for (Path p : walk.sorted().toList()) {
                        add(tar, "./" + state + "/" + edition.resolve("data").relativize(p).toString().replace('\\', '/'), p);
                    }
                }
            }
            text(tar, "./lib/systemd/system/" + name + ".service", unit(name, description), 0644);
        }
        ByteArrayOutputStream control = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = tar(control)) {
            dir(tar, "./");
            text(tar, "./control", String.join("\n",
                    "Package: " + name,
                    "Version: " + version,
                    "Architecture: amd64",
                    "Maintainer: the edition's integrator (ironbell assemble)",
                    "Depends: openjdk-17-jre-headless | java17-runtime-headless, adduser",
                    "Section: admin",
                    "Priority: optional",
                    "Installed-Size: " + installedKiB(edition),
                    "Description: " + description,
                    " An Ironbell edition assembled from an Ironbell distribution: bare-metal provisioning",
                    " (DHCP, TFTP, iPXE, metadata, workflows) as one OSGi container.",
                    ""), 0644);
            text(tar, "./conffiles", "/" + etc + "/ironbell.properties\n", 0644);
            text(tar, "./postinst", """
                    #!/bin/sh
                    # the system user the service runs as, owning its state; state survives upgrades
                    set -e
                    if [ "$1" = configure ]; then
                      getent group NAME >/dev/null || addgroup --system NAME >/dev/null
                      getent passwd NAME >/dev/null || adduser --system --ingroup NAME --home /var/lib/NAME --no-create-home \\
                        --shell /usr/sbin/nologin --gecos "Ironbell edition NAME" NAME >/dev/null
                      chown NAME:NAME /var/lib/NAME
                      chmod 0750 /var/lib/NAME
                      chown -R NAME:NAME /var/lib/NAME/artifacts 2>/dev/null || true
                      chgrp NAME /etc/NAME/ironbell.properties && chmod 0640 /etc/NAME/ironbell.properties
                      if [ -d /run/systemd/system ]; then
                        systemctl daemon-reload >/dev/null || true
                        systemctl enable NAME.service >/dev/null || true
                        systemctl restart NAME.service >/dev/null || true
                      fi
                    fi
                    exit 0
                    """.replace("NAME", name), 0755);
            text(tar, "./prerm", """
                    #!/bin/sh
                    set -e
                    if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
                      systemctl stop NAME.service >/dev/null || true
                      systemctl disable NAME.service >/dev/null || true
                    fi
                    exit 0
                    """.replace("NAME", name), 0755);
            text(tar, "./postrm", """
                    #!/bin/sh
                    # purge: the state (database, certificates, tokens) and the user go; remove alone keeps them
                    set -e
                    if [ "$1" = purge ]; then
                      rm -rf /var/lib/NAME
                      getent passwd NAME >/dev/null && deluser --system NAME >/dev/null || true
                      getent group NAME >/dev/null && delgroup --system NAME >/dev/null || true
                    fi
                    if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
                    exit 0
                    """.replace("NAME", name), 0755);
        }
        Path tmp = deb.resolveSibling(deb.getFileName() + ".partial");
        try (OutputStream out = Files.newOutputStream(tmp); ArArchiveOutputStream ar = new ArArchiveOutputStream(out)) {
            member(ar, "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
            member(ar, "control.tar.gz", control.toByteArray());
            ArArchiveEntry e = new ArArchiveEntry("data.tar.gz", Files.size(data), 0, 0, 0100644, System.currentTimeMillis() / 1000);
            ar.putArchiveEntry(e);
            Files.copy(data, ar);
            ar.closeArchiveEntry();
        } finally {
            Files.deleteIfExists(data);
        }
        Files.move(tmp, deb, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The systemd unit: the server in the foreground as the package's user, allowed the low ports DHCP and TFTP use. */
    static String unit(String name, String description) {
        return String.join("\n",
                "[Unit]",
                "Description=" + description,
                "Documentation=file:///opt/" + name + "/edition.properties",
                "After=network-online.target",
                "Wants=network-online.target",
                "",
                "[Service]",
                "Type=simple",
                "User=" + name,
                "Group=" + name,
                "ExecStart=/opt/" + name + "/bin/ironbell server",
                "Restart=on-failure",
                "RestartSec=5",
                "TimeoutStopSec=30",
                "# DHCP (67), TFTP (69) and raw sockets for DHCP's unicast answers, nothing else",
                "AmbientCapabilities=CAP_NET_BIND_SERVICE CAP_NET_RAW",
                "CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_NET_RAW",
                "NoNewPrivileges=yes",
                "ProtectSystem=full",
                "ProtectHome=yes",
                "PrivateTmp=yes",
                "ReadWritePaths=/var/lib/" + name,
                "",
                "[Install]",
                "WantedBy=multi-user.target",
                "");
    }

    private static long installedKiB(Path edition) throws IOException {
        try (Stream<Path> walk = Files.walk(edition)) {
            return walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum() >> 10;
        }
    }

    private static TarArchiveOutputStream tar(OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out, 1 << 16));
        // GNU long names and no PAX headers: dpkg reads the former, not the latter
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
        return tar;
    }

    private static void dir(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(040755);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void link(TarArchiveOutputStream tar, String name, String target) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
        e.setLinkName(target);
        e.setMode(0120777);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void add(TarArchiveOutputStream tar, String name, Path p) throws IOException {
        if (Files.isDirectory(p)) {
            dir(tar, name.endsWith("/") ? name : name + "/");
            return;
        }
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(Files.size(p));
        e.setMode(Files.isExecutable(p) ? 0100755 : 0100644);
        tar.putArchiveEntry(e);
        Files.copy(p, tar);
        tar.closeArchiveEntry();
    }

    private static void text(TarArchiveOutputStream tar, String name, String content, int mode) throws IOException {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        e.setMode(0100000 | mode);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
    }

    private static void member(ArArchiveOutputStream ar, String name, byte[] content) throws IOException {
        ArArchiveEntry e = new ArArchiveEntry(name, content.length, 0, 0, 0100644, System.currentTimeMillis() / 1000);
        ar.putArchiveEntry(e);
        ar.write(content);
        ar.closeArchiveEntry();
    }
}
