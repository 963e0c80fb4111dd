package io.ironbell.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium, headless, driven through Debian's chromedriver, trusting one CA as an
 * operator's browser would: from the NSS database of a home of its own ({@code certutil}), so
 * that a certificate error fails instead of being waved through.
 */
public final class Chromium {

    private Chromium() {
    }

    /**
     * Starts the browser.
     *
     * @param home  its home directory (made if missing): its NSS database trusts {@code ca}
     * @param ca    the CA certificate (PEM) the browser trusts besides its own roots
     * @param extra more command-line switches for Chromium
     */
    public static ChromeDriver start(Path home, Path ca, String... extra) throws Exception {
        for (String tool : List.of("/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/certutil")) {
            if (!Files.isExecutable(Path.of(tool))) {
                throw new AssertionError(tool + " is missing: apt-get install chromium chromium-driver libnss3-tools (.ci/prepare installs them)");
            }
        }
        Path nss = home.resolve(".pki/nssdb");
        Files.createDirectories(nss);
        for (List<String> step : List.of(List.of("certutil", "-N", "-d", "sql:" + nss, "--empty-password"),
                List.of("certutil", "-A", "-d", "sql:" + nss, "-n", "ironbell-ca", "-t", "C,,", "-i", ca.toString()))) {
            Sh.Result r = Sh.run(step, Duration.ofSeconds(30));
            if (r.status() != 0) {
                throw new AssertionError(String.join(" ", step) + ": " + r.output() + r.errors());
            }
        }
        List<String> args = new ArrayList<>(List.of("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900"));
        args.addAll(List.of(extra));
        ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium").addArguments(args);
        ChromeDriver driver = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .withEnvironment(Map.of("HOME", home.toString())).withTimeout(Duration.ofSeconds(60)).build(), options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60)).scriptTimeout(Duration.ofSeconds(30));
        return driver;
    }
}
