package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven through Debian's
 * chromedriver by Selenium. Sign-in with a token; the machines page lists the records the test
 * pushed, a hostname made of HTML and script shown as text and never run; a workflow's page
 * follows its actions live (the server's event stream, no reload) while a worker reports through
 * the worker API; Cancel on the page cancels it; a viewer's token shows no Cancel, and a cancel
 * forged with it (or without a token) is refused. A rollout of four machines at different stages
 * counted per stage with its failure listed first and moving live; a machine's page with its
 * record, inventory, workflows, events and log as it grows, and its BMC's power changing live (the
 * test Redfish service); Retry of a failed workflow; a template's revisions compared and a broken
 * change shown at its line. Screenshots of the pages go to target/dashboard-screenshots.
 */
class DashboardIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final Path SHOTS = Path.of("target", "dashboard-screenshots");
    private static final String XSS = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";
    private static Path work;
    private static ServerProcess server;
    private static String token;
    private static String viewer;
    private static WebDriver browser;
    private static io.ironbell.testing.VmBmc redfish;
    private static ServerProcess worker;
    private static com.sun.net.httpserver.HttpServer images;
    private static final String ROLLOUT = """
            version: "0.1"
            name: rollout
            global_timeout: 600
            tasks:
              - name: install
                worker: "{{.device_1}}"
                actions:
                  - {name: stream-image, image: quay.io/tinkerbell-actions/image2disk:v1.0.0, timeout: 120}
                  - {name: kexec, image: quay.io/tinkerbell-actions/kexec:v1.0.0, timeout: 60}
            """;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("dashboard-it");
        server = ServerProcess.start(DISTRIBUTION, work.resolve("home"), Map.of("IRONBELL_BMC_POWER_POLL_SECONDS", "1"));
        server.awaitHealthy(Duration.ofSeconds(120));
        io.ironbell.testing.Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(work.resolve("home/data/api-token")).trim();
        viewer = ItApi.json(ItApi.call(server, token, "POST", "/tokens", "{\"name\":\"watcher\",\"role\":\"viewer\"}")).get("token").asText();
        for (int i = 0; i < 3; i++) {
            String hostname = i == 2 ? XSS.replace("\"", "\\\"") : "rack9-node" + i;
            assertEquals(201, ItApi.call(server, token, "POST", "/hardware", "{\"id\":\"dash-" + i + "\",\"network\":{\"interfaces\":[{\"dhcp\":"
                    + "{\"mac\":\"52:54:00:da:00:0" + i + "\",\"hostname\":\"" + hostname + "\",\"ip\":{\"address\":\"10.242.0." + (10 + i)
                    + "\",\"netmask\":\"255.255.255.0\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}").status());
        }
        assertEquals(201, ItApi.call(server, token, "POST", "/templates?name=dash", """
                version: "0.1"
                name: dash
                global_timeout: 600
                tasks:
                  - name: install
                    worker: "{{.device_1}}"
                    actions:
                      - {name: stream-image, image: quay.io/tinkerbell-actions/image2disk:v1.0.0, timeout: 120}
                      - {name: kexec, image: quay.io/tinkerbell-actions/kexec:v1.0.0, timeout: 60}
                """).status());
        // a rollout's machines, the second with a BMC (the test Redfish service, no VM: its power is a file)
        for (int i = 0; i < 4; i++) {
            assertEquals(201, ItApi.call(server, token, "POST", "/hardware", "{\"id\":\"r-" + i + "\",\"network\":{\"interfaces\":[{\"dhcp\":"
                    + "{\"mac\":\"52:54:00:da:01:0" + i + "\",\"hostname\":\"rack7-node" + i + "\",\"ip\":{\"address\":\"10.242.1." + (10 + i)
                    + "\",\"netmask\":\"255.255.255.0\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}").status());
        }
        assertEquals(201, ItApi.call(server, token, "POST", "/templates?name=rollout", ROLLOUT).status());
        io.ironbell.testing.TestPki pki = io.ironbell.testing.TestPki.create(work.resolve("pki"));
        pki.issue("bmc", List.of("127.0.0.1"));
        int port = io.ironbell.testing.FreePort.find();
        redfish = io.ironbell.testing.VmBmc.redfish(work.resolve("redfish/chassis"), "127.0.0.1", port, "root", "bmc-pw",
                work.resolve("pki/bmc.pem"), pki.key("bmc"), List.of());
        assertEquals(201, ItApi.call(server, token, "POST", "/bmc/machines", io.ironbell.api.json.Json.mapper().writeValueAsString(Map.of("name", "r-1-bmc", "host", "127.0.0.1",
                "port", port, "driver", "redfish", "username", "root", "password", "bmc-pw", "caPem", Files.readString(pki.ca()),
                "hardwareId", "r-1"))).status());
        Files.createDirectories(SHOTS);
        // the server's own CA made its certificate: the browser trusts that CA as an operator's would, and nothing else
        browser = io.ironbell.testing.Chromium.start(work.resolve("browser-home"), server.caFile());
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (worker != null) {
            worker.close();
        }
        if (images != null) {
            images.stop(0);
        }
        if (redfish != null) {
            redfish.close();
        }
        if (server != null) {
            server.close();
        }
        io.ironbell.testing.TempDirs.delete(work);
    }

    private static WebElement await(By what) {
        return new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> d.findElements(what).stream().findFirst().orElse(null));
    }

    /** Waits for an element to read {@code text}; the page re-renders as events arrive, so elements go stale meanwhile. */
    private static void awaitText(By what, String text) {
        new WebDriverWait(browser, Duration.ofSeconds(20)).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .withMessage(() -> what + " never read " + text)
                .until(d -> d.findElements(what).stream().anyMatch(e -> e.getText().equals(text)));
    }

    /** Waits for the machines page to list exactly these machines (the list is redrawn on the next frame). */
    private static void awaitRows(List<String> machines) {
        new WebDriverWait(browser, Duration.ofSeconds(20)).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .withMessage(() -> "the machines page never listed just " + machines)
                .until(d -> d.findElements(By.cssSelector("#machines tr")).stream().map(e -> e.getAttribute("data-machine")).toList()
                        .equals(machines));
    }

    private static void signIn(String secret) {
        browser.get(server.secureUrl("/ui#/signin"));
        WebElement field = await(By.id("token"));
        field.clear();
        field.sendKeys(secret);
        browser.findElement(By.id("signin-button")).click();
        await(By.cssSelector("#machines tr"));
    }

    private static void shot(String name) throws Exception {
        Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    private static String workflow(int machine) throws Exception {
        return workflow("dash", "52:54:00:da:00:0" + machine);
    }

    private static String workflow(String template, String mac) throws Exception {
        Http.Response r = ItApi.call(server, token, "POST", "/workflows", "{\"template\":\"" + template + "\",\"hardware\":{\"device_1\":\""
                + mac + "\"}}");
        assertEquals(201, r.status(), r.body());
        return ItApi.json(r).get("id").asText();
    }

    private static void report(int machine, String id, int action, String state, String extra) {
        report("52:54:00:da:00:0" + machine, id, action, state, extra);
    }

    private static void report(String mac, String id, int action, String state, String extra) {
        Http.Response r = ItApi.call(server, token, "POST", "/worker/" + mac + "/report", "{\"workflowId\":\"" + id
                + "\",\"actionIndex\":" + action + ",\"state\":\"" + state + "\"" + extra + "}");
        assertEquals(200, r.status(), r.body());
    }

    private static String next(String mac) throws Exception {
        Http.Response r = ItApi.call(server, token, "GET", "/worker/" + mac + "/next", null);
        assertEquals(200, r.status(), r.body());
        return ItApi.json(r).get("name").asText();
    }

    private static String tileCount(String label) {
        return browser.findElements(By.cssSelector("#rollout-stages .tile[data-label='" + label + "'] .tile-count")).stream()
                .map(WebElement::getText).findFirst().orElse("absent");
    }

    private static void awaitTile(String label, String count) {
        new WebDriverWait(browser, Duration.ofSeconds(20)).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .withMessage(() -> "the tile " + label + " never read " + count + ": " + browser.findElement(By.id("rollout-stages")).getText())
                .until(d -> tileCount(label).equals(count));
    }

    /**
     * The distribution's worker, on this host with the machine session a booting machine gets, runs
     * a workflow whose image comes slowly (1 MiB/s): its page shows the action running with its
     * progress part-way, then the next action, then success, from the event stream alone.
     */
    @Test
    void aRealWorkersWorkflowMovesThroughItsActionsOnScreen() throws Exception {
        String mac = "52:54:00:da:02:00";
        byte[] image = new byte[8 << 20];
        new java.util.Random(7).nextBytes(image);
        images = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        images.createContext("/image.raw", x -> {
            x.sendResponseHeaders(200, image.length);
            try (var out = x.getResponseBody()) {
                for (int at = 0; at < image.length; at += 128 << 10) {
                    out.write(image, at, 128 << 10);
                    out.flush();
                    Thread.sleep(125);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        images.start();
        Path disk = work.resolve("real-disk.img");
        Files.write(disk, new byte[9 << 20]);
        Path fs = work.resolve("real-fs.img");
        assertEquals(0, Shell.run(List.of("sh", "-c", "truncate -s 16M " + fs + " && mkfs.ext4 -q -F " + fs)).status());
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(image));
        assertEquals(201, ItApi.call(server, token, "POST", "/hardware", "{\"id\":\"w-0\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\""
                + mac + "\",\"hostname\":\"real-node\",\"ip\":{\"address\":\"127.0.0.1\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}")
                .status());
        assertEquals(201, ItApi.call(server, token, "POST", "/templates?name=real", """
                version: "0.1"
                name: real
                global_timeout: 600
                tasks:
                  - name: install
                    worker: "{{.device_1}}"
                    actions:
                      - name: stream-image
                        image: quay.io/tinkerbell-actions/image2disk:v1.0.0
                        timeout: 120
                        environment: {IMG_URL: "http://127.0.0.1:%d/image.raw", DEST_DISK: "%s", COMPRESSED: "false", IMG_CHECKSUM: "sha256:%s"}
                      - name: hostname
                        image: quay.io/tinkerbell-actions/writefile:v1.0.0
                        timeout: 60
                        environment: {DEST_DISK: "%s", FS_TYPE: ext4, DEST_PATH: /etc/hostname, CONTENTS: "real-node", MODE: "0644", UID: "0", GID: "0"}
                """.formatted(images.getAddress().getPort(), disk, sha, fs)).status());
        String id = workflow("real", mac);
        // what a booting machine does: its iPXE script's boot token exchanged for a session bound to its address; the
        // script boots the in-memory OS once the iPXE bundle has heard of the new workflow (a notification away)
        io.ironbell.testing.Await.until("the iPXE script of " + mac + " to boot the in-memory OS", Duration.ofSeconds(20),
                () -> Http.get(server.url("/ipxe/" + mac + "/auto.ipxe")).body().contains("boot_token") ? true : null);
        Path session = Files.writeString(work.resolve("real-session"), server.machineSession(mac) + "\n");

        signIn(token);
        // the session is what its in-memory OS's worker gets when it starts: the machine stands at that stage
        awaitText(By.cssSelector("tr[data-machine='w-0'] td:nth-child(8)"), "in-memory OS");
        browser.get(server.secureUrl("/ui#/workflows/" + id));
        awaitText(By.cssSelector("tr[data-action='stream-image'] .state"), "PENDING");
        JavascriptExecutor js = (JavascriptExecutor) browser;
        // the page records what it shows as it changes
        js.executeScript("""
                window.__seen = [];
                const look = () => {
                  const row = document.querySelector("tr[data-action='stream-image']");
                  const bar = row && row.querySelector('progress');
                  const states = [...document.querySelectorAll('#actions tr')].map(r => r.querySelector('.state').textContent).join(',');
                  window.__seen.push(states + '|' + (bar ? bar.value.toFixed(2) : ''));
                };
                new MutationObserver(look).observe(document.getElementById('main'), {childList: true, subtree: true});
                """);
        worker = ServerProcess.startWorker(server.home(), server.secureUrl(""), mac, Map.of(), "--ca", server.caFile().toString(),
                "--token-file", session.toString(), "-Dworker.pollMillis=200");
        new WebDriverWait(browser, Duration.ofSeconds(90)).withMessage(() -> "the workflow never showed SUCCESS; worker:\n"
                + String.join("\n", worker.output())).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until(d -> d.findElements(By.cssSelector("#workflow-state .state")).stream().anyMatch(e -> e.getText().equals("SUCCESS")));
        @SuppressWarnings("unchecked")
        List<String> seen = (List<String>) js.executeScript("return window.__seen");
        assertTrue(seen.stream().anyMatch(v -> v.startsWith("RUNNING,PENDING|") && !v.endsWith("|0.00") && !v.endsWith("|1.00")),
                "the image's progress shown part-way while it streamed: " + seen);
        assertTrue(seen.stream().anyMatch(v -> v.startsWith("SUCCESS,RUNNING|")), "then the next action running: " + seen);
        assertTrue(seen.stream().anyMatch(v -> v.startsWith("SUCCESS,SUCCESS|")), seen.toString());
        assertTrue(browser.findElement(By.cssSelector("tr[data-action='stream-image']")).getText().contains("sha256 verified"));
        assertTrue(java.util.Arrays.equals(image, java.util.Arrays.copyOf(Files.readAllBytes(disk), image.length)), "the worker wrote the image");
        shot("real-worker");
    }

    /** A page left open through a restart of the server follows it again, without a reload, once the server is back. */
    @Test
    void theMachinesPageComesBackAfterTheServerRestarts() throws Exception {
        signIn(token);
        JavascriptExecutor js = (JavascriptExecutor) browser;
        js.executeScript("window.__sameDocument = true");
        Path home = server.home();
        String http = Integer.toString(server.httpPort());
        String tls = Integer.toString(server.tlsPort());
        server.close();
        awaitText(By.id("page-error"), "The server is away: reconnecting...");
        server = ServerProcess.startIn(home, Map.of("IRONBELL_BMC_POWER_POLL_SECONDS", "1", "IRONBELL_HTTP_PORT", http,
                "IRONBELL_HTTP_TLS_PORT", tls));
        server.awaitHealthy(Duration.ofSeconds(120));
        io.ironbell.testing.Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        awaitText(By.id("page-error"), "");
        assertEquals(201, ItApi.call(server, token, "POST", "/hardware", "{\"id\":\"after-restart\",\"network\":{\"interfaces\":[{\"dhcp\":"
                + "{\"mac\":\"52:54:00:da:03:00\",\"hostname\":\"came-back\"},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}")
                .status());
        awaitText(By.cssSelector("tr[data-machine='after-restart'] td.name"), "came-back");
        assertEquals(Boolean.TRUE, js.executeScript("return window.__sameDocument === true"), "followed again without a reload");
    }

    @Test
    void anOperatorWatchesARolloutAMachineAndATemplate() throws Exception {
        String[] mac = {"52:54:00:da:01:00", "52:54:00:da:01:01", "52:54:00:da:01:02", "52:54:00:da:01:03"};
        String[] wf = new String[4];
        for (int i = 0; i < 4; i++) {
            wf[i] = workflow("rollout", mac[i]);
        }
        // r-0 fails its first action; r-1 is done; r-2 writes its image; r-3 has not shown up
        assertEquals("stream-image", next(mac[0]));
        report(mac[0], wf[0], 0, "FAILED", ",\"message\":\"no disk /dev/sda on this machine\"");
        assertEquals("stream-image", next(mac[1]));
        report(mac[1], wf[1], 0, "SUCCESS", "");
        assertEquals("kexec", next(mac[1]));
        report(mac[1], wf[1], 1, "SUCCESS", "");
        assertEquals("stream-image", next(mac[2]));
        report(mac[2], wf[2], 0, "RUNNING", ",\"progress\":{\"done\":256,\"total\":1024,\"rate\":64}");

        signIn(token);
        browser.get(server.secureUrl("/ui#/rollout"));
        new org.openqa.selenium.support.ui.Select(await(By.cssSelector("#rollout-template option[value='rollout']")).findElement(By.xpath("..")))
                .selectByValue("rollout");
        awaitTile("failed", "1");
        assertEquals("1", tileCount("done"));
        assertEquals("1", tileCount("stream-image"));
        assertEquals("1", tileCount("waiting"));
        assertEquals("0", tileCount("DHCP"));
        assertEquals("absent", tileCount("kexec"), "no machine is at kexec yet");
        List<WebElement> rows = browser.findElements(By.cssSelector("#rollout-machines tr"));
        assertEquals("r-0", rows.get(0).getAttribute("data-machine"), "failures first");
        assertTrue(rows.get(0).getText().contains("no disk /dev/sda on this machine"), rows.get(0).getText());
        assertTrue(browser.findElement(By.id("rollout-summary")).getText().startsWith("4 machines: 1 done, 1 failed, 2 in progress"));
        // the rollout moves on screen as the workers report
        ((JavascriptExecutor) browser).executeScript("window.__sameDocument = true");
        report(mac[2], wf[2], 0, "SUCCESS", "");
        assertEquals("kexec", next(mac[2]));
        awaitTile("kexec", "1");
        assertEquals("absent", tileCount("stream-image"));
        report(mac[2], wf[2], 1, "SUCCESS", "");
        awaitTile("done", "2");
        assertEquals(Boolean.TRUE, ((JavascriptExecutor) browser).executeScript("return window.__sameDocument === true"), "no reload");
        shot("rollout");

        // the machines page: power where a BMC is known, changing live
        browser.get(server.secureUrl("/ui#/machines"));
        await(By.cssSelector("tr[data-machine='r-1']"));
        assertEquals("", browser.findElement(By.cssSelector("tr[data-machine='r-0'] td:nth-child(4)")).getText(), "no BMC, no power");
        awaitText(By.cssSelector("tr[data-machine='r-1'] td:nth-child(4)"), "OFF");
        assertEquals(200, ItApi.call(server, token, "POST", "/bmc/machines/r-1-bmc/power?wait=true", "{\"action\":\"on\"}").status());
        awaitText(By.cssSelector("tr[data-machine='r-1'] td:nth-child(4)"), "ON");
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("stage-filter"))).selectByValue("FAILED");
        awaitRows(List.of("r-0"));

        // a machine's page: record, inventory, workflows, events, its log as it grows
        assertEquals(200, ItApi.call(server, token, "POST", "/worker/" + mac[0] + "/inventory", """
                {"system": {"vendor": "QEMU", "product": "Standard PC (Q35 + ICH9, 2009)", "serial": "SN-R0"},
                 "memory": {"totalBytes": 2147483648}, "disks": [{"name": "vdb", "sizeBytes": 10737418240, "rotational": false}],
                 "nics": [{"name": "eth0", "mac": "52:54:00:da:01:00", "speedMbps": 1000, "link": true}], "pci": []}
                """).status());
        assertEquals(204, ItApi.call(server, token, "POST", "/worker/" + mac[0] + "/logs",
                "{\"lines\":[{\"text\":\"probing disks: none found\",\"source\":\"worker\"}]}").status());
        browser.get(server.secureUrl("/ui#/machines/r-0"));
        awaitText(By.id("machine-stage"), "failed");
        assertTrue(browser.findElement(By.id("disks")).getText().contains("vdb"), "the inventory's disks");
        assertTrue(browser.findElement(By.id("machine-workflows")).getText().contains(wf[0]));
        assertTrue(browser.findElement(By.id("events")).getText().contains("no disk /dev/sda on this machine"));
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> d.findElement(By.id("machine-log")).getText().contains("probing disks"));
        assertEquals(204, ItApi.call(server, token, "POST", "/worker/" + mac[0] + "/logs",
                "{\"lines\":[{\"text\":\"giving up on /dev/sda\",\"source\":\"worker\"}]}").status());
        new WebDriverWait(browser, Duration.ofSeconds(20)).withMessage("the log followed live")
                .until(d -> d.findElement(By.id("machine-log")).getText().contains("giving up on /dev/sda"));
        shot("machine");

        // Retry of the failed workflow: a new one for the same machine, its page opened
        browser.get(server.secureUrl("/ui#/workflows/" + wf[0]));
        await(By.id("retry")).click();
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> !d.getCurrentUrl().endsWith(wf[0]));
        String retried = browser.getCurrentUrl().substring(browser.getCurrentUrl().lastIndexOf('/') + 1);
        JsonNode again = ItApi.json(ItApi.call(server, token, "GET", "/workflows/" + retried, null));
        assertEquals("PENDING", again.get("state").asText());
        assertEquals(mac[0], again.at("/actions/0/worker").asText());
        assertEquals(409, ItApi.call(server, token, "POST", "/workflows/" + wf[1] + "/retry", null).status(), "a workflow that succeeded is not retried");

        // a template's revisions compared, and a change that does not hold shown at its line
        assertEquals(200, ItApi.call(server, token, "PUT", "/templates/rollout", ROLLOUT.replace("timeout: 60}", "timeout: 90}")
                + "      - {name: report, image: quay.io/tinkerbell-actions/writefile:v1.0.0, timeout: 30}\n").status());
        browser.get(server.secureUrl("/ui#/templates/rollout"));
        awaitText(By.id("diff-summary"), "3 lines changed");
        List<String> added = browser.findElements(By.cssSelector("#diff .code-line.added")).stream().map(WebElement::getText).toList();
        assertTrue(added.stream().anyMatch(l -> l.contains("timeout: 90}")) && added.stream().anyMatch(l -> l.contains("name: report")), added.toString());
        assertTrue(browser.findElements(By.cssSelector("#diff .code-line.removed")).stream().anyMatch(e -> e.getText().contains("timeout: 60}")));
        WebElement draft = browser.findElement(By.id("draft"));
        draft.clear();
        draft.sendKeys(ROLLOUT.replace("global_timeout: 600", "global_timeout: soon"));
        browser.findElement(By.id("check-draft")).click();
        WebElement bad = await(By.cssSelector("#draft-marked .code-error"));
        assertEquals("3", bad.getAttribute("data-line"), browser.findElement(By.id("draft-verdict")).getText());
        assertTrue(browser.findElement(By.id("draft-verdict")).getText().contains("line 3"), browser.findElement(By.id("draft-verdict")).getText());
        shot("template");
        assertEquals(2, ItApi.json(ItApi.call(server, token, "GET", "/templates/rollout", null)).get("revision").asInt(), "a check saves nothing");
    }

    @Test
    void anOperatorFollowsAWorkflowLiveAndCancelsAnother() throws Exception {
        Http.Response page = Http.get(server.url("/ui"));
        assertEquals(403, page.status(), "the dashboard is served over HTTPS only");

        signIn(token);
        JavascriptExecutor js = (JavascriptExecutor) browser;
        // the machines the test pushed, the one named with HTML and script shown as that text, and nothing run
        assertEquals(ItApi.json(ItApi.call(server, token, "GET", "/hardware", null)).get("items").size(),
                browser.findElements(By.cssSelector("#machines tr")).size(), "a row for each record");
        assertEquals("rack9-node0", browser.findElement(By.cssSelector("tr[data-machine='dash-0'] td.name")).getText());
        assertEquals(XSS, browser.findElement(By.cssSelector("tr[data-machine='dash-2'] td.name")).getText());
        assertNull(js.executeScript("return window.__pwned === undefined ? null : window.__pwned"), "the hostname's script never ran");
        shot("machines");
        browser.findElement(By.id("filter")).sendKeys("rack9-node1");
        awaitRows(List.of("dash-1"));

        // a workflow followed live: the worker's reports arrive on the page through the event stream, without a reload
        String id = workflow(0);
        browser.get(server.secureUrl("/ui#/workflows/" + id));
        awaitText(By.cssSelector("tr[data-action='stream-image'] .state"), "PENDING");
        js.executeScript("window.__sameDocument = true");
        JsonNode first = ItApi.json(ItApi.call(server, token, "GET", "/worker/52:54:00:da:00:00/next", null));
        assertEquals("stream-image", first.get("name").asText());
        awaitText(By.cssSelector("tr[data-action='stream-image'] .state"), "RUNNING");
        report(0, id, 0, "RUNNING", ",\"progress\":{\"done\":512,\"total\":1024,\"rate\":100}");
        report(0, id, 0, "SUCCESS", ",\"message\":\"wrote 1024 bytes\"");
        awaitText(By.cssSelector("tr[data-action='stream-image'] .state"), "SUCCESS");
        ItApi.json(ItApi.call(server, token, "GET", "/worker/52:54:00:da:00:00/next", null));
        awaitText(By.cssSelector("tr[data-action='kexec'] .state"), "RUNNING");
        report(0, id, 1, "SUCCESS", "");
        awaitText(By.cssSelector("#workflow-state .state"), "SUCCESS");
        assertEquals(Boolean.TRUE, js.executeScript("return window.__sameDocument === true"), "followed without a reload");
        assertTrue(browser.findElement(By.cssSelector("tr[data-action='stream-image']")).getText().contains("wrote 1024 bytes"));
        shot("workflow");

        // Cancel on the page
        String other = workflow(1);
        browser.get(server.secureUrl("/ui#/workflows/" + other));
        await(By.id("cancel")).click();
        awaitText(By.cssSelector("#workflow-state .state"), "CANCELLED");
        assertEquals("CANCELLED", ItApi.json(ItApi.call(server, token, "GET", "/workflows/" + other, null)).get("state").asText());
    }

    @Test
    void aViewerSeesNoCancelAndAForgedCancelIsRefused() throws Exception {
        String id = workflow(2);
        signIn(viewer);
        browser.get(server.secureUrl("/ui#/workflows/" + id));
        awaitText(By.cssSelector("tr[data-action='stream-image'] .state"), "PENDING");
        assertEquals(0, browser.findElements(By.id("cancel")).size(), "no Cancel for a viewer");
        assertTrue(browser.findElement(By.id("who")).getText().contains("viewer"));
        shot("viewer-workflow");
        // what a page could forge: the viewer's token (403), or no token at all (401: nothing ambient to ride on)
        assertEquals(403, ItApi.call(server, viewer, "POST", "/workflows/" + id + "/cancel", null).status());
        Http.Response anonymous = Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.secureUrl("/api/v1/workflows/" + id
                + "/cancel"))).timeout(Duration.ofSeconds(10)).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(401, anonymous.status());
        assertEquals("PENDING", ItApi.json(ItApi.call(server, token, "GET", "/workflows/" + id, null)).get("state").asText());
        // the page's own protections, as the browser receives them
        java.net.http.HttpResponse<String> ui = Http.client().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.secureUrl("/ui")))
                .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ui.statusCode());
        assertTrue(ui.headers().firstValue("Content-Security-Policy").orElse("").contains("script-src 'self'"), ui.headers().toString());
        assertEquals("nosniff", ui.headers().firstValue("X-Content-Type-Options").orElse(""));
    }
}
