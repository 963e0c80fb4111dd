package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.testing.Await;
import io.ironbell.testing.Bundles;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unpacked distribution as a real process: a bundle dropped into deploy/ is served, a
 * replaced one serves its new answer, a removed one is gone, and a client calling /healthz
 * all the while never sees a failure. Then SIGTERM stops it within 5 seconds.
 */
class HotDeployIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final Path HELLO = Path.of(System.getProperty("ironbell.helloRouteJar"));
    private static final Duration DEPLOY_LIMIT = Duration.ofSeconds(3);

    @Test
    void bundlesComeAndGoWhileTheServerAnswers(@TempDir Path tmp) throws Exception {
        Path v1 = Bundles.withVersion(HELLO, "1.0.0", tmp.resolve("hello-1.jar"));
        Path v2 = Bundles.withVersion(HELLO, "2.0.0", tmp.resolve("hello-2.jar"));
        try (ServerProcess server = ServerProcess.start(DISTRIBUTION, tmp.resolve("home"), Map.of())) {
            Duration startup = server.awaitHealthy(Duration.ofSeconds(30));
            System.out.println("server healthy after " + startup.toMillis() + " ms");
            assertEquals(404, Http.get(server.secureUrl("/hello")).status());

            HealthPoller poller = new HealthPoller(server.url("/healthz"));
            poller.start();
            try {
                Bundles.dropInto(server.deploy(), v1, "hello.jar");
                Duration added = awaitAnswer(server, "hello from 1.0.0");
                System.out.println("(a) new bundle answering after " + added.toMillis() + " ms");

                Bundles.dropInto(server.deploy(), v2, "hello.jar");
                Duration replaced = awaitAnswer(server, "hello from 2.0.0");
                System.out.println("(b) replaced bundle answering after " + replaced.toMillis() + " ms");

                Files.delete(server.deploy().resolve("hello.jar"));
                Duration removed = Await.until("/hello to answer 404", DEPLOY_LIMIT,
                        () -> Http.get(server.secureUrl("/hello")).status() == 404 ? Boolean.TRUE : null).elapsed();
                System.out.println("(c) removed bundle gone after " + removed.toMillis() + " ms");
            } finally {
                poller.stop();
            }
            assertTrue(poller.successes.get() > 20, "the poller made only " + poller.successes.get() + " calls");
            assertEquals(List.of(), poller.failures, "/healthz failed while bundles came and went");

            Duration exit = server.terminate(Duration.ofSeconds(5));
            System.out.println("exited " + exit.toMillis() + " ms after SIGTERM with " + server.process().exitValue());
            assertPortClosed(server.httpPort());
            assertTrue(server.output().stream().anyMatch(l -> l.contains("stopped: HTTP")),
                    () -> "HTTP server did not log its stop:\n" + String.join("\n", server.output()));
        }
    }

    private static Duration awaitAnswer(ServerProcess server, String answer) {
        return Await.until("/hello to answer '" + answer + "'", DEPLOY_LIMIT, () -> {
            Http.Response r = Http.get(server.secureUrl("/hello"));
            return r.status() == 200 && r.body().equals(answer) ? Boolean.TRUE : null;
        }).elapsed();
    }

    private static void assertPortClosed(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            throw new AssertionError("port " + port + " still accepts connections after exit");
        } catch (IOException expected) {
            // refused: the port is closed
        }
    }

    /** Calls /healthz in a loop and records every failure. */
    private static final class HealthPoller implements Runnable {
        private final String url;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger successes = new AtomicInteger();
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private final Thread thread = new Thread(this, "healthz-poller");

        HealthPoller(String url) {
            this.url = url;
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }

        @Override
        public void run() {
            while (running.get()) {
                Http.Response r = Http.get(url);
                if (r.status() == 200) {
                    successes.incrementAndGet();
                } else {
                    failures.add(r.status() + " " + r.body());
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
