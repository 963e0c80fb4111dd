package io.ironbell.worker.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ironbell.api.json.Json;
import io.ironbell.api.workflow.ActionReport;
import io.ironbell.api.workflow.WorkerAction;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What the worker must not forget across a crash or a restart, on disk: the action it started
 * ({@code running.json}), and the final reports the server has not acknowledged yet
 * ({@code pending/}). Each file is written whole, flushed, and renamed into place, so a crash
 * leaves either the old file or the new one. Thus no report is lost, and no action that was
 * started is started again: one found in {@code running.json} at start-up is reported as
 * interrupted instead.
 */
final class Journal {

    /** The action that was started: workflow, index and attempt identify one run. */
    record Started(String workflowId, int actionIndex, int attempt, String name) {

        boolean is(WorkerAction a) {
            return workflowId.equals(a.workflowId()) && actionIndex == a.actionIndex() && attempt == a.attempt();
        }
    }

    /** A report waiting for the server. */
    record Pending(Path file, ActionReport report) {
    }

    private final ObjectMapper json = Json.mapper();
    private final Path dir;
    private final Path pending;
    private long sequence;

    Journal(Path dir) throws IOException {
        this.dir = dir;
        this.pending = dir.resolve("pending");
        Files.createDirectories(pending);
        for (Pending p : pending()) {
            sequence = Math.max(sequence, Long.parseLong(p.file().getFileName().toString().replace(".json", "")));
        }
    }

    Path dir() {
        return dir;
    }

    /** Records that an action is about to run. */
    void started(WorkerAction a) throws IOException {
        write(dir.resolve("running.json"), json.writeValueAsBytes(new Started(a.workflowId(), a.actionIndex(), a.attempt(), a.name())));
    }

    /** The action that was started and has no final report yet. */
    Optional<Started> running() throws IOException {
        Path f = dir.resolve("running.json");
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(json.readValue(f.toFile(), Started.class));
        } catch (IOException e) {
            // only a half-written file can be unreadable, and rename makes that impossible; be safe
            Files.delete(f);
            return Optional.empty();
        }
    }

    /**
     * Keeps a final report and forgets the running action, in that order: a crash in between
     * leaves both, and the report wins.
     */
    synchronized Pending finished(ActionReport report) throws IOException {
        Path f = pending.resolve(String.format("%019d.json", ++sequence));
        write(f, json.writeValueAsBytes(report));
        Files.deleteIfExists(dir.resolve("running.json"));
        return new Pending(f, report);
    }

    /** Forgets the running action without a report (the server no longer knows it). */
    void clearRunning() throws IOException {
        Files.deleteIfExists(dir.resolve("running.json"));
    }

    /** Reports not yet acknowledged, oldest first. */
    synchronized List<Pending> pending() throws IOException {
        List<Pending> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(pending)) {
            for (Path f : s.filter(p -> p.getFileName().toString().matches("\\d+\\.json")).sorted().toList()) {
                try {
                    out.add(new Pending(f, json.readValue(f.toFile(), ActionReport.class)));
                } catch (IOException e) {
                    Files.move(f, f.resolveSibling(f.getFileName() + ".unreadable"), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return out;
    }

    /** The server acknowledged (or refused for good) a report. */
    void delivered(Pending p) throws IOException {
        Files.deleteIfExists(p.file());
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            c.write(java.nio.ByteBuffer.wrap(bytes));
            c.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            d.force(true); // the rename itself survives a power cut
        } catch (IOException ignored) {
            // some file systems cannot flush a directory; the rename is still atomic
        }
    }
}
