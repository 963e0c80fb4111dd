package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.io.File;
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
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven through Debian's
 * chromedriver by Selenium. Sign-in with a token; the machines page lists the records the test
 * pushed, a hostname made of HTML and script shown as text and never run; a workflow's page
 * follows its actions live (the server's event stream, no reload) while a worker reports through
 * the worker API; Cancel on the page cancels it; a viewer's token shows no Cancel, and a cancel
 * forged with it (or without a token) is refused. Screenshots of the pages go to
 * target/dashboard-screenshots.
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

    @BeforeAll
    static void start() throws Exception {
        for (String tool : List.of("/usr/bin/chromium", "/usr/bin/chromedriver")) {
            if (!Files.isExecutable(Path.of(tool))) {
                throw new AssertionError(tool + " is missing: apt-get install chromium chromium-driver (.ci/prepare installs them)");
            }
        }
        work = Files.createTempDirectory("dashboard-it");
        server = ServerProcess.start(DISTRIBUTION, work.resolve("home"), Map.of());
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
        Files.createDirectories(SHOTS);
        ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium")
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900");
        // the server's own CA made the certificate: this browser has never heard of it
        options.setAcceptInsecureCerts(true);
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .withTimeout(Duration.ofSeconds(60)).build(), options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
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
        return ItApi.json(ItApi.call(server, token, "POST", "/workflows", "{\"template\":\"dash\",\"hardware\":{\"device_1\":\"52:54:00:da:00:0"
                + machine + "\"}}")).get("id").asText();
    }

    private static void report(int machine, String id, int action, String state, String extra) {
        Http.Response r = ItApi.call(server, token, "POST", "/worker/52:54:00:da:00:0" + machine + "/report", "{\"workflowId\":\"" + id
                + "\",\"actionIndex\":" + action + ",\"state\":\"" + state + "\"" + extra + "}");
        assertEquals(200, r.status(), r.body());
    }

    @Test
    void anOperatorFollowsAWorkflowLiveAndCancelsAnother() throws Exception {
        Http.Response page = Http.get(server.url("/ui"));
        assertEquals(403, page.status(), "the dashboard is served over HTTPS only");

        signIn(token);
        JavascriptExecutor js = (JavascriptExecutor) browser;
        // the machines the test pushed, the one named with HTML and script shown as that text, and nothing run
        assertEquals(3, browser.findElements(By.cssSelector("#machines tr")).size());
        assertEquals("rack9-node0", browser.findElement(By.cssSelector("tr[data-machine='dash-0'] td.name")).getText());
        assertEquals(XSS, browser.findElement(By.cssSelector("tr[data-machine='dash-2'] td.name")).getText());
        assertNull(js.executeScript("return window.__pwned === undefined ? null : window.__pwned"), "the hostname's script never ran");
        shot("machines");
        browser.findElement(By.id("filter")).sendKeys("node1");
        assertEquals(List.of("dash-1"), browser.findElements(By.cssSelector("#machines tr")).stream().filter(WebElement::isDisplayed)
                .map(e -> e.getAttribute("data-machine")).toList());

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
