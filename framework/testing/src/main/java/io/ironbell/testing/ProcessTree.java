package io.ironbell.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Stops what a test's command started: its whole process tree when it overruns, and what it left
 * running in the background with its output once it ends ({@link Sh#run}).
 */
final class ProcessTree {

    private static final Path PROC = Path.of("/proc");

    private ProcessTree() {
    }

    /**
     * Kills {@code process} and every descendant it has, forcibly (SIGKILL), and waits up to 10 s
     * for the process itself to be reaped. The descendants are listed before the process dies:
     * after that they are orphans, no longer its descendants.
     */
    static void kill(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Kills (SIGKILL) the processes of this JVM's session, other than the JVM, that hold one of
     * {@code files} open, and returns their pids. Called on a command's private output files after
     * it ended, this kills what it put in the background with its output, which a child could
     * otherwise keep running past the test; a daemon that left the session (setsid) is left alone.
     * Linux only (/proc); elsewhere it does nothing.
     */
    static List<Long> killHolders(List<Path> files) {
        List<Long> killed = new ArrayList<>();
        if (!Files.isDirectory(PROC.resolve("self/fd"))) {
            return killed;
        }
        Set<Object> keys = new HashSet<>();
        for (Path f : files) {
            try {
                keys.add(Files.readAttributes(f, BasicFileAttributes.class).fileKey());
            } catch (IOException e) {
                // gone: nobody can hold it
            }
        }
        long self = ProcessHandle.current().pid();
        long session = session(self);
        if (keys.isEmpty() || session < 0) {
            return killed;
        }
        // a second round for what a holder forked while the first one looked
        for (int round = 0; round < 3; round++) {
            List<Long> found = new ArrayList<>();
            try (DirectoryStream<Path> all = Files.newDirectoryStream(PROC, p -> p.getFileName().toString().matches("\\d+"))) {
                for (Path dir : all) {
                    long pid = Long.parseLong(dir.getFileName().toString());
                    if (pid != self && session(pid) == session && holds(dir, keys)) {
                        found.add(pid);
                    }
                }
            } catch (IOException e) {
                return killed;
            }
            if (found.isEmpty()) {
                break;
            }
            found.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            killed.addAll(found);
        }
        return killed;
    }

    /** The session id of a process (field 6 of /proc/PID/stat), or -1 when it cannot be read. */
    private static long session(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(pid + "/stat"), StandardCharsets.ISO_8859_1);
            // pid (comm) state ppid pgrp session …; comm may hold spaces and parentheses
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[3]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Whether one of a process's open file descriptors is one of the files with these keys. */
    private static boolean holds(Path process, Set<Object> keys) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    // the link leads to the open file itself, also one that was deleted or named from another mount namespace
                    if (keys.contains(Files.readAttributes(fd, BasicFileAttributes.class).fileKey())) {
                        return true;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            // ended meanwhile, or not ours to look at
        }
        return false;
    }
}
