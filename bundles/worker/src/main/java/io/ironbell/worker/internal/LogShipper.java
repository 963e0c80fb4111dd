package io.ironbell.worker.internal;

import io.ironbell.client.ApiException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends log lines to the machine's log on the server, in batches, from a thread of its own:
 * an action that logs never waits for the network. While the server is unreachable lines
 * wait in a queue bounded by count and by bytes (the worker's heap is 64 MiB); when it is full
 * the newest are counted and dropped, and the count is sent once the server is back. A line
 * longer than the server keeps is cut here; a request stays under {@link #REQUEST_BYTES}, and
 * one the server still finds too large (413) is split until it fits.
 */
final class LogShipper implements AutoCloseable {

    static final int BATCH = 500;
    /** Most JSON bytes in one request: a quarter of the server's http.maxRequestBytes (1 MiB by default). */
    static final int REQUEST_BYTES = 256 * 1024;
    /** Most heap the waiting lines may take (as {@link #heapBytes} estimates it), whatever their number. */
    static final long QUEUE_BYTES = 2L << 20;
    /** Longest line sent: what the server keeps of a line (the store's MAX_LINE_CHARS). */
    static final int MAX_LINE_CHARS = 8192;

    private static final Logger LOG = LoggerFactory.getLogger(LogShipper.class);

    private final ServerClient client;
    private final BlockingQueue<ServerClient.Line> queue;
    private final Thread thread;
    private final AtomicLong added = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    /** Bytes of the lines queued or being sent: released once the server has them (or they are given up). */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Object sentLock = new Object();
    private long sent;
    /** The most bytes a request may have; halved on a 413, so a server with a lower limit is learned once. */
    private int requestBytes = REQUEST_BYTES;
    private volatile boolean closed;

    LogShipper(ServerClient client, int capacity) {
        this.client = client;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(this::run, "ironbell-worker-logs");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a line; never blocks. */
    void add(String source, String text) {
        ServerClient.Line line = new ServerClient.Line(cut(text), source, null, Instant.now());
        long size = heapBytes(line);
        if (queuedBytes.addAndGet(size) > QUEUE_BYTES) {
            queuedBytes.addAndGet(-size);
            dropped.incrementAndGet();
        } else if (queue.offer(line)) {
            added.incrementAndGet();
        } else {
            queuedBytes.addAndGet(-size);
            dropped.incrementAndGet();
        }
    }

    /** Waits until the lines queued so far are sent, or {@code max} has passed; returns whether they were. */
    boolean flush(Duration max) throws InterruptedException {
        long target = added.get();
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (sentLock) {
            while (sent < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(sentLock, left);
            }
        }
        return true;
    }

    private void run() {
        List<ServerClient.Line> batch = new ArrayList<>(BATCH);
        long backoff = 0;
        while (!closed || !queue.isEmpty() || !batch.isEmpty()) {
            try {
                if (batch.isEmpty()) {
                    ServerClient.Line first = queue.poll(500, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    batch.add(first);
                    queue.drainTo(batch, BATCH - 1);
                }
                // a request of the batch's first lines, within the bytes the server takes
                int n = 1;
                long bytes = jsonBytes(batch.get(0));
                while (n < batch.size() && bytes + jsonBytes(batch.get(n)) <= requestBytes) {
                    bytes += jsonBytes(batch.get(n));
                    n++;
                }
                List<ServerClient.Line> part = batch.subList(0, n);
                long lost = dropped.getAndSet(0);
                List<ServerClient.Line> send = part;
                if (lost > 0) {
                    send = new ArrayList<>(part);
                    send.add(0, new ServerClient.Line(lost + " log lines were dropped: the worker's queue was full (lines or "
                            + (QUEUE_BYTES >> 20) + " MiB) while the server could not take them", "worker", "warning", Instant.now()));
                }
                try {
                    client.logs(send);
                    backoff = 0;
                } catch (ApiException e) {
                    if (lost > 0) {
                        dropped.addAndGet(lost);
                    }
                    if (e.status() == 413 && n > 1) {
                        requestBytes = (int) Math.max(1024, Math.min(requestBytes, bytes) / 2);
                        LOG.debug("{} log lines ({} bytes) were too large for the server; requests of {} bytes from now on", n, bytes,
                                requestBytes);
                        continue;
                    }
                    if (e.retryable() && !closed) {
                        backoff = Backoff.next(backoff, Backoff.MAX_MILLIS);
                        LOG.debug("log lines not sent ({}); again in {} ms", e.getMessage(), backoff);
                        Thread.sleep(backoff);
                        continue;
                    }
                    LOG.warn("{} log lines not sent: {}", n, e.getMessage());
                }
                done(part);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The lines have reached the server, or never will: they count as sent and free their bytes. */
    private void done(List<ServerClient.Line> part) {
        long bytes = 0;
        for (ServerClient.Line l : part) {
            bytes += heapBytes(l);
        }
        queuedBytes.addAndGet(-bytes);
        synchronized (sentLock) {
            sent += part.size();
            sentLock.notifyAll();
        }
        part.clear();
    }

    /** The text, or as much of it as the server keeps, with a note of what was cut. */
    static String cut(String text) {
        if (text.length() <= MAX_LINE_CHARS) {
            return text;
        }
        int keep = MAX_LINE_CHARS - 40;
        if (Character.isHighSurrogate(text.charAt(keep - 1))) {
            keep--;
        }
        return text.substring(0, keep) + "… [" + (text.length() - keep) + " characters cut]";
    }

    /** What a queued line takes of the heap: its strings (one byte a character when all are Latin-1), the line, its time. */
    static long heapBytes(ServerClient.Line l) {
        return stringBytes(l.text()) + stringBytes(l.source()) + 128;
    }

    private static long stringBytes(String s) {
        if (s == null) {
            return 0;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0xFF) {
                return 2L * s.length();
            }
        }
        return s.length();
    }

    /** The bytes a line takes in a request's JSON, at most: escapes counted, UTF-8. */
    static long jsonBytes(ServerClient.Line l) {
        return 96 + jsonBytes(l.text()) + jsonBytes(l.source()) + jsonBytes(l.severity());
    }

    private static long jsonBytes(String s) {
        if (s == null) {
            return 0;
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x20 ? 6 : c == '"' || c == '\\' ? 2 : c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
        }
        return n;
    }

    /** Sends what is queued (up to a few seconds' worth of trying), then stops. */
    @Override
    public void close() throws InterruptedException {
        flush(Duration.ofSeconds(5));
        closed = true;
        thread.interrupt();
        thread.join(2_000);
    }
}
