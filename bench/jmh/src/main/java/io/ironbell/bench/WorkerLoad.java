package io.ironbell.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Simulated workers against a running server: registers {@code workers} machines and a
 * one-action template, creates {@code workers × perWorker} workflows (timed), then runs one
 * thread per worker that asks for its next action, "works" for {@code workMillis}, reports
 * SUCCESS, and asks again, polling every {@code pollMillis} when there is nothing, until all of
 * its workflows are done, each worker on its own keep-alive connection ({@link RawHttp}). Prints latency percentiles of next-action and report calls, errors,
 * and the time to complete every workflow.
 *
 * <p>With {@code JITTER} true, machines start spread over one work period and each action takes
 * between half and one and a half times WORK_MS, as machines that boot and write images at their
 * own pace do; with false, all start within one poll interval and every action takes exactly
 * WORK_MS, a synchronized herd.
 *
 * <p>An {@code https://} URL is verified with the CA file named by {@code -Dironbell.ca=FILE}
 * (the server's {@code data/tls/ca.pem}); each simulated worker makes one TLS connection and keeps it.
 *
 * <p>With {@code LONG_POLL} seconds above 0, a worker asks with {@code next?wait=LONG_POLL} and asks
 * again at once when that answers 204 (the server held it): next-action latency then counts the
 * answers that carried an action.
 *
 * <p>{@code java -cp bench/jmh/target/benchmarks.jar io.ironbell.bench.WorkerLoad URL TOKEN WORKERS PER_WORKER WORK_MS POLL_MS [JITTER [LONG_POLL]]}
 */
public final class WorkerLoad {

    private static final javax.net.ssl.SSLContext TLS = tls();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .sslContext(TLS == null ? io.ironbell.client.Trust.system() : TLS).build();

    private static javax.net.ssl.SSLContext tls() {
        String ca = System.getProperty("ironbell.ca");
        try {
            return ca == null ? null : io.ironbell.client.Trust.caFile(java.nio.file.Path.of(ca));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static String base;
    private static String token;

    public static void main(String[] args) throws Exception {
        base = args[0] + "/api/v1";
        token = args[1];
        int workers = Integer.parseInt(args[2]);
        int perWorker = Integer.parseInt(args[3]);
        long workMillis = Long.parseLong(args[4]);
        long pollMillis = Long.parseLong(args[5]);
        boolean jitter = args.length > 6 && Boolean.parseBoolean(args[6]);
        int longPoll = args.length > 7 ? Integer.parseInt(args[7]) : 0;
        String nextQuery = longPoll > 0 ? "/next?wait=" + longPoll : "/next";
        String run = Long.toString(System.nanoTime() % 100000, 36);
        String template = "load-" + run;

        call("POST", "/templates?name=" + template, """
                version: "0.1"
                name: load
                global_timeout: 3600
                tasks:
                  - name: t
                    worker: "{{.device_1}}"
                    actions:
                      - {name: a, image: quay.io/tinkerbell-actions/writefile:v1.0.0, timeout: 600}
                """, 201);
        String[] macs = new String[workers];
        ExecutorService setup = Executors.newFixedThreadPool(16);
        List<Future<?>> fs = new ArrayList<>();
        // a prefix of this run's own, so that runs against one server never register the same MAC twice
        int prefix = (int) (System.nanoTime() >>> 10) & 0xFFFF;
        for (int w = 0; w < workers; w++) {
            int n = w;
            macs[w] = String.format("02:%02x:%02x:%02x:%02x:%02x", prefix >> 8, prefix & 0xFF, (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF);
            fs.add(setup.submit(() -> call("POST", "/hardware", "{\"id\":\"load-" + run + "-" + n + "\",\"network\":{\"interfaces\":[{\"dhcp\":"
                    + "{\"mac\":\"" + macs[n] + "\"},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}", 201)));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        fs.clear();
        long c0 = System.nanoTime();
        for (int w = 0; w < workers; w++) {
            for (int k = 0; k < perWorker; k++) {
                String body = "{\"template\":\"" + template + "\",\"hardware\":{\"device_1\":\"" + macs[w] + "\"}}";
                fs.add(setup.submit(() -> call("POST", "/workflows", body, 201)));
            }
        }
        for (Future<?> f : fs) {
            f.get();
        }
        double createSeconds = (System.nanoTime() - c0) / 1e9;
        setup.shutdown();
        System.out.printf("created %d workflows in %.1f s (%.0f/s) with 16 clients%n", workers * perWorker, createSeconds,
                workers * perWorker / createSeconds);

        ConcurrentLinkedQueue<Long> connectLatency = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> nextLatency = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> reportLatency = new ConcurrentLinkedQueue<>();
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch connected = new CountDownLatch(workers);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            String mac = macs[w];
            Thread t = new Thread(null, () -> {
                URI u = URI.create(base);
                try (RawHttp http = new RawHttp(u.getHost(), u.getPort(), token, "https".equals(u.getScheme()) ? TLS : null)) {
                    // every worker connects (TLS: handshakes) at once, as a rack powered on together would; timed apart
                    long h0 = System.nanoTime();
                    try {
                        http.connect();
                        connectLatency.add(System.nanoTime() - h0);
                    } finally {
                        connected.countDown();
                    }
                    go.await();
                    Thread.sleep(ThreadLocalRandom.current().nextLong(Math.max(1, jitter ? workMillis : pollMillis)));
                    int mine = 0;
                    while (mine < perWorker) {
                        long t0 = System.nanoTime();
                        RawHttp.Response r = http.send("GET", "/api/v1/worker/" + mac + nextQuery, null);
                        if (longPoll == 0 || r.status() != 204) {
                            nextLatency.add(System.nanoTime() - t0);
                        }
                        if (r.status() == 204) {
                            if (longPoll == 0) {
                                Thread.sleep(pollMillis);
                            }
                            continue;
                        }
                        if (r.status() != 200) {
                            errors.incrementAndGet();
                            Thread.sleep(pollMillis);
                            continue;
                        }
                        JsonNode a = Json.mapper().readTree(r.body());
                        Thread.sleep(jitter ? workMillis / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, workMillis)) : workMillis);
                        t0 = System.nanoTime();
                        RawHttp.Response rep = http.send("POST", "/api/v1/worker/" + mac + "/report", "{\"workflowId\":\""
                                + a.get("workflowId").asText() + "\",\"actionIndex\":" + a.get("actionIndex").asInt() + ",\"state\":\"SUCCESS\"}");
                        reportLatency.add(System.nanoTime() - t0);
                        if (rep.status() != 200) {
                            errors.incrementAndGet();
                        } else {
                            mine++;
                            done.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                    System.err.println("worker " + mac + ": " + e);
                }
            }, "worker-" + w, 256 * 1024);
            t.start();
            threads.add(t);
        }
        // the calls are measured on open connections: the connection storm is measured apart ("connect")
        connected.await();
        long r0 = System.nanoTime();
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        double runSeconds = (System.nanoTime() - r0) / 1e9;
        System.out.printf("%d workers (%s%s) completed %d workflows in %.1f s (%.0f workflows/s), errors %d%n", workers,
                jitter ? "jittered" : "synchronized", longPoll > 0 ? ", long poll" : "", done.get(), runSeconds, done.get() / runSeconds, errors.get());
        print("connect", connectLatency);
        print("next-action", nextLatency);
        print("report", reportLatency);
        System.out.printf("total: %d workflows created and completed in %.1f s%n", workers * perWorker, createSeconds + runSeconds);
    }

    private static void print(String what, ConcurrentLinkedQueue<Long> nanos) {
        long[] v = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        if (v.length == 0) {
            return;
        }
        System.out.printf("%s: %d calls, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms%n", what, v.length,
                v[v.length / 2] / 1e6, v[(int) (v.length * 0.95)] / 1e6, v[(int) (v.length * 0.99)] / 1e6, v[v.length - 1] / 1e6);
    }

    private static Object call(String method, String path, String body, int expected) throws Exception {
        HttpResponse<String> r = send(method, path, body);
        if (r.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + " -> " + r.statusCode() + " " + r.body());
        }
        return null;
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private WorkerLoad() {
    }
}
