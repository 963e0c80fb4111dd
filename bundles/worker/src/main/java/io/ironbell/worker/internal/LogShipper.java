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
 * wait in a bounded queue; when it is full the newest are counted and dropped, and the count
 * is sent once the server is back.
 */
final class LogShipper implements AutoCloseable {

    static final int BATCH = 500;
    private static final Logger LOG = LoggerFactory.getLogger(LogShipper.class);

    private final ServerClient client;
    private final BlockingQueue<ServerClient.Line> queue;
    private final Thread thread;
    private final AtomicLong added = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Object sentLock = new Object();
    private long sent;
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
        if (queue.offer(new ServerClient.Line(text, source, null, Instant.now()))) {
            added.incrementAndGet();
        } else {
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
        List<ServerClient.Line> batch = new ArrayList<>(BATCH + 1);
        long backoff = 0;
        while (!closed || !queue.isEmpty()) {
            try {
                if (batch.isEmpty()) {
                    ServerClient.Line first = queue.poll(500, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    batch.add(first);
                    queue.drainTo(batch, BATCH - 1);
                }
                long lost = dropped.getAndSet(0);
                List<ServerClient.Line> send = batch;
                if (lost > 0) {
                    send = new ArrayList<>(batch);
                    send.add(0, new ServerClient.Line(lost + " log lines were dropped while the server was unreachable", "worker", "warning", Instant.now()));
                }
                try {
                    client.logs(send);
                    backoff = 0;
                } catch (ApiException e) {
                    if (lost > 0) {
                        dropped.addAndGet(lost);
                    }
                    if (e.retryable() && !closed) {
                        backoff = Backoff.next(backoff, Backoff.MAX_MILLIS);
                        LOG.debug("log lines not sent ({}); again in {} ms", e.getMessage(), backoff);
                        Thread.sleep(backoff);
                        continue;
                    }
                    LOG.warn("{} log lines not sent: {}", batch.size(), e.getMessage());
                }
                synchronized (sentLock) {
                    sent += batch.size();
                    sentLock.notifyAll();
                }
                batch.clear();
            } catch (InterruptedException e) {
                return;
            }
        }
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
