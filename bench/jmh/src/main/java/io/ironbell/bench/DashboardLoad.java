package io.ironbell.bench;

import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The dashboard's machines page on a large fleet, in Debian's headless Chromium: a server with
 * MACHINES records and LIVE workflows; the page opened cold (navigation to the list painted, with
 * the fleet's JSON and the server's query inside it), its JS heap and DOM size; then for
 * SECONDS the LIVE workflows' workers (threads of this program, through the worker API) report
 * progress every second while the page applies the fleet feed, and the page's main-thread lag
 * (a 50 ms timer's delay) and a filter typed into it are timed.
 *
 * <pre>java -cp benchmarks.jar io.ironbell.bench.DashboardLoad DISTRIBUTION WORK [MACHINES] [LIVE] [SECONDS] [OPENS]</pre>
 */
public final class DashboardLoad {

    private static ServerProcess server;
    private static String token;

    public static void main(String[] args) throws Exception {
        Path dist = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int machines = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
        int live = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 30;
        int opens = args.length > 5 ? Integer.parseInt(args[5]) : 5;
        server = ServerProcess.start(dist, work.resolve("home"), Map.of("IRONBELL_HTTP_MAX_CONNECTIONS_PER_ADDRESS", "4096"));
        ChromeDriver browser = null;
        try {
            server.awaitHealthy(Duration.ofSeconds(120));
            io.ironbell.testing.Await.until("/readyz 200", Duration.ofSeconds(120), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
            token = Files.readString(work.resolve("home/data/api-token")).trim();
            long t0 = System.nanoTime();
            push(machines);
            call("POST", "/templates?name=bench", """
                    version: "0.1"
                    name: bench
                    global_timeout: 3600
                    tasks:
                      - name: install
                        worker: "{{.device_1}}"
                        actions:
                          - {name: stream-image, image: quay.io/tinkerbell-actions/image2disk:v1.0.0, timeout: 600}
                          - {name: partition, image: quay.io/tinkerbell-actions/writefile:v1.0.0, timeout: 600}
                          - {name: kexec, image: quay.io/tinkerbell-actions/kexec:v1.0.0, timeout: 600}
                    """, 201);
            List<String> workflows = new ArrayList<>();
            for (int i = 0; i < live; i++) {
                String body = call("POST", "/workflows", "{\"template\":\"bench\",\"hardware\":{\"device_1\":\"" + mac(i) + "\"}}", 201);
                workflows.add(body.replaceAll("(?s).*?\"id\":\"([^\"]+)\".*", "$1"));
            }
            System.out.printf("fleet: %d machines, %d workflows, made in %.1f s%n", machines, live, (System.nanoTime() - t0) / 1e9);

            // no back-forward cache: each open's heap and DOM are that page's alone, not the earlier pages' kept alive
            browser = io.ironbell.testing.Chromium.start(work.resolve("browser-home"), server.caFile(), "--disable-features=BackForwardCache");
            JavascriptExecutor js = browser;
            browser.get(server.secureUrl("/ui#/signin"));
            js.executeScript("sessionStorage.setItem('ironbell.token', arguments[0])", token);
            // set up before the page's own script runs: the time the list is painted (after its frame), from navigation start
            browser.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", """
                    window.__bench = {};
                    new MutationObserver((records, observer) => {
                      // the page counts what it lists: every machine listed, and rows drawn
                      const count = document.getElementById('machine-count');
                      const body = document.getElementById('machines');
                      if (count && count.textContent === '%1$d of %1$d machines' && body.children.length > 0 && !window.__bench.rendered) {
                        window.__bench.rendered = performance.now();
                        requestAnimationFrame(() => setTimeout(() => { window.__bench.painted = performance.now(); }, 0));
                        observer.disconnect();
                      }
                    }).observe(document, {childList: true, subtree: true, characterData: true});
                    """.formatted(machines)));
            browser.executeCdpCommand("Performance.enable", Map.of());
            List<Double> painted = new ArrayList<>();
            List<Double> fetched = new ArrayList<>();
            double heap = 0;
            double nodes = 0;
            for (int i = 0; i < opens; i++) {
                browser.get(server.secureUrl("/ui?open=" + i + "#/machines"));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                Object p;
                while ((p = js.executeScript("return window.__bench && window.__bench.painted")) == null) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the machines page never listed " + machines + " machines");
                    }
                    Thread.sleep(20);
                }
                painted.add(((Number) p).doubleValue());
                fetched.add(((Number) js.executeScript("const e = performance.getEntriesByType('resource')"
                        + ".filter(r => r.name.endsWith('/api/v1/fleet/machines')); return e.length ? e[0].duration : -1")).doubleValue());
                // what the page keeps, not what a collection would free
                browser.executeCdpCommand("HeapProfiler.collectGarbage", Map.of());
                @SuppressWarnings("unchecked")
                Map<String, Object> metrics = (Map<String, Object>) browser.executeCdpCommand("Performance.getMetrics", Map.of());
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> list = (List<Map<String, Object>>) metrics.get("metrics");
                for (Map<String, Object> m : list) {
                    if (m.get("name").equals("JSHeapUsedSize")) {
                        heap = ((Number) m.get("value")).doubleValue() / (1 << 20);
                    } else if (m.get("name").equals("Nodes")) {
                        nodes = ((Number) m.get("value")).doubleValue();
                    }
                }
                System.out.printf("open %d: painted %.0f ms (GET /fleet/machines %.0f ms), JS heap %.1f MiB, %.0f DOM nodes%n", i + 1,
                        painted.get(i), fetched.get(i), heap, nodes);
            }

            // live: the workers report while the page follows the feed
            js.executeScript("""
                    const b = window.__bench;
                    b.lags = []; b.updates = 0;
                    let last = performance.now();
                    b.timer = setInterval(() => { const now = performance.now(); b.lags.push(now - last - 50); last = now; }, 50);
                    new MutationObserver(records => { b.updates += records.length; })
                      .observe(document.getElementById('machines'), {childList: true, subtree: true, characterData: true});
                    """);
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong reports = new AtomicLong();
            ExecutorService workers = Executors.newFixedThreadPool(live);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < live; i++) {
                int n = i;
                String id = workflows.get(i);
                done.add(workers.submit(() -> work(n, id, running, reports)));
            }
            List<Double> filters = new ArrayList<>();
            long start = System.nanoTime();
            for (int s = 0; s < seconds; s++) {
                Thread.sleep(1000);
                if (s % 5 == 4) {
                    // a filter typed while the feed streams: input to the next frame painted
                    Object ms = js.executeAsyncScript("""
                            const done = arguments[arguments.length - 1];
                            const f = document.getElementById('filter');
                            const t0 = performance.now();
                            f.value = arguments[0];
                            f.dispatchEvent(new Event('input'));
                            requestAnimationFrame(() => setTimeout(() => {
                              const took = performance.now() - t0;
                              f.value = ''; f.dispatchEvent(new Event('input'));
                              done(took);
                            }, 0));
                            """, "rack-" + (s * 37 % machines));
                    filters.add(((Number) ms).doubleValue());
                }
            }
            running.set(false);
            double elapsed = (System.nanoTime() - start) / 1e9;
            workers.shutdown();
            workers.awaitTermination(30, TimeUnit.SECONDS);
            @SuppressWarnings("unchecked")
            List<Number> lags = (List<Number>) js.executeScript("clearInterval(window.__bench.timer); return window.__bench.lags");
            long updates = ((Number) js.executeScript("return window.__bench.updates")).longValue();
            List<Double> lag = new ArrayList<>(lags.stream().map(Number::doubleValue).toList());
            Collections.sort(lag);
            Collections.sort(filters);
            Collections.sort(painted);
            System.out.printf("live %d s: %.0f worker reports/s, %.0f row changes/s on the page; main-thread lag p50 %.1f ms, p99 %.1f ms, max %.1f ms;"
                    + " filter over %d rows %.0f ms median, %.0f ms max%n", (int) elapsed, reports.get() / elapsed, updates / elapsed,
                    pct(lag, 50), pct(lag, 99), lag.get(lag.size() - 1), machines, pct(filters, 50), filters.get(filters.size() - 1));
            System.out.printf("RESULT machines=%d live=%d painted_median_ms=%.0f painted_max_ms=%.0f fetch_median_ms=%.0f heap_mib=%.1f nodes=%.0f "
                    + "reports_per_s=%.0f row_changes_per_s=%.0f lag_p99_ms=%.1f lag_max_ms=%.1f filter_median_ms=%.0f%n", machines, live,
                    pct(painted, 50), painted.get(painted.size() - 1), pct(new ArrayList<>(fetched.stream().sorted().toList()), 50), heap, nodes,
                    reports.get() / elapsed, updates / elapsed, pct(lag, 99), lag.get(lag.size() - 1), pct(filters, 50));
        } finally {
            if (browser != null) {
                browser.quit();
            }
            server.close();
        }
    }

    private static double pct(List<Double> sorted, int p) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static String mac(int i) {
        return String.format("52:54:%02x:%02x:%02x:%02x", (i >> 24) & 0xff, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    }

    /** A worker: its workflow's actions in turn, each reporting progress once a second for five seconds. */
    private static void work(int n, String id, AtomicBoolean running, AtomicLong reports) {
        try {
            Thread.sleep(n * 1000L / 200 % 1000);
            for (int action = 0; action < 3 && running.get(); action++) {
                call("GET", "/worker/" + mac(n) + "/next", null, 200);
                for (int step = 1; step <= 5 && running.get(); step++) {
                    Thread.sleep(1000);
                    call("POST", "/worker/" + mac(n) + "/report", "{\"workflowId\":\"" + id + "\",\"actionIndex\":" + action
                            + ",\"state\":\"" + (step == 5 ? "SUCCESS" : "RUNNING") + "\",\"progress\":{\"done\":" + step + ",\"total\":5,\"rate\":1}}", 200);
                    reports.incrementAndGet();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void push(int machines) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> all = new ArrayList<>();
        for (int i = 0; i < machines; i++) {
            int n = i;
            all.add(pool.submit(() -> call("POST", "/hardware", "{\"id\":\"rack-" + String.format("%05d", n) + "\",\"network\":{\"interfaces\":[{\"dhcp\":"
                    + "{\"mac\":\"" + mac(n) + "\",\"hostname\":\"rack-" + String.format("%05d", n) + "\",\"ip\":{\"address\":\"10." + (n >> 16 & 0xff)
                    + "." + (n >> 8 & 0xff) + "." + (n & 0xff) + "\",\"netmask\":\"255.0.0.0\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}",
                    201)));
        }
        for (Future<?> f : all) {
            f.get();
        }
        pool.shutdown();
    }

    private static String call(String method, String path, String body, int expect) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1" + path))).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        Http.Response r = Http.send(b.build());
        if (r.status() != expect) {
            throw new IllegalStateException(method + " " + path + ": " + r.status() + " " + r.body());
        }
        return r.body();
    }
}
