package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Machines prove who they are, in network namespaces: the server in one, a victim machine and an
 * attacker on its bridge. The victim's real worker exchanges its boot token for a session over
 * HTTPS (verifying the server by the fingerprint a boot script carries) and starts its action. The
 * attacker then takes the victim's IP and MAC (the victim's link goes down, the attacker's comes
 * up with the same addresses: what winning an ARP race amounts to) and tries everything the boot
 * path leaves it: the worker API by address alone, the victim's sniffed boot token, a fresh boot
 * token from the plain-HTTP boot script, a made-up session. All are refused, the victim's action
 * is untouched, and once the victim is back its worker's report is taken.
 */
class MachineIdentityIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String ID = Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private static final String SERVER_NS = "ims" + ID;
    private static final String VICTIM_NS = "imv" + ID;
    private static final String ATTACKER_NS = "ima" + ID;
    private static final String BRIDGE = "mb" + ID;
    private static final String MAC = "52:54:00:37:00:10";
    private static final String VICTIM_IP = "10.237.0.10";
    private static final String SERVER_IP = "10.237.0.1";

    @TempDir
    static Path tmp;
    private static ServerProcess server;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        Shell.require("MachineIdentityIT", List.of("ip", "curl"));
        cleanup();
        Shell.steps(new String[][] {
            {"ip", "netns", "add", SERVER_NS}, {"ip", "netns", "add", VICTIM_NS}, {"ip", "netns", "add", ATTACKER_NS},
            {"ip", "-n", SERVER_NS, "link", "set", "lo", "up"},
            {"ip", "-n", SERVER_NS, "link", "add", BRIDGE, "type", "bridge"},
            {"ip", "-n", SERVER_NS, "addr", "add", SERVER_IP + "/24", "dev", BRIDGE}, {"ip", "-n", SERVER_NS, "link", "set", BRIDGE, "up"},
            // the victim and the attacker, each on a port of the bridge, with the same MAC and IP
            {"ip", "-n", SERVER_NS, "link", "add", "m" + ID + "v", "type", "veth", "peer", "name", "m" + ID + "w"},
            {"ip", "-n", SERVER_NS, "link", "set", "m" + ID + "v", "netns", VICTIM_NS},
            {"ip", "-n", SERVER_NS, "link", "set", "m" + ID + "w", "master", BRIDGE}, {"ip", "-n", SERVER_NS, "link", "set", "m" + ID + "w", "up"},
            {"ip", "-n", SERVER_NS, "link", "add", "m" + ID + "a", "type", "veth", "peer", "name", "m" + ID + "b"},
            {"ip", "-n", SERVER_NS, "link", "set", "m" + ID + "a", "netns", ATTACKER_NS},
            {"ip", "-n", SERVER_NS, "link", "set", "m" + ID + "b", "master", BRIDGE}, {"ip", "-n", SERVER_NS, "link", "set", "m" + ID + "b", "up"},
            {"ip", "-n", VICTIM_NS, "link", "set", "lo", "up"}, {"ip", "-n", ATTACKER_NS, "link", "set", "lo", "up"},
            {"ip", "-n", VICTIM_NS, "link", "set", "m" + ID + "v", "address", MAC},
            {"ip", "-n", ATTACKER_NS, "link", "set", "m" + ID + "a", "address", MAC},
            {"ip", "-n", VICTIM_NS, "addr", "add", VICTIM_IP + "/24", "dev", "m" + ID + "v"},
            {"ip", "-n", ATTACKER_NS, "addr", "add", VICTIM_IP + "/24", "dev", "m" + ID + "a"},
            {"ip", "-n", VICTIM_NS, "link", "set", "m" + ID + "v", "up"},
            // the host reaches the server through a link of its own, for the operator's calls
            {"ip", "link", "add", "m" + ID + "r", "type", "veth", "peer", "name", "m" + ID + "s"},
            {"ip", "link", "set", "m" + ID + "s", "netns", SERVER_NS},
            {"ip", "addr", "add", "10.237.1.1/30", "dev", "m" + ID + "r"}, {"ip", "link", "set", "m" + ID + "r", "up"},
            {"ip", "-n", SERVER_NS, "addr", "add", "10.237.1.2/30", "dev", "m" + ID + "s"}, {"ip", "-n", SERVER_NS, "link", "set", "m" + ID + "s", "up"},
        });
        server = ServerProcess.startWrapped(DISTRIBUTION, tmp.resolve("home"), Map.of(), List.of("ip", "netns", "exec", SERVER_NS), "10.237.1.2");
        server.awaitHealthy(Duration.ofMinutes(2));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(tmp.resolve("home/data/api-token")).trim();

        assertEquals(201, api("POST", "/hardware", "{\"id\":\"victim\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"" + MAC
                + "\",\"ip\":{\"address\":\"" + VICTIM_IP + "\",\"netmask\":\"255.255.255.0\"}},\"netboot\":{\"allow_pxe\":true,"
                + "\"allow_workflow\":true}}]}}").status());
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        cleanup();
    }

    private static void cleanup() throws Exception {
        Shell.run(List.of("ip", "netns", "del", VICTIM_NS));
        Shell.run(List.of("ip", "netns", "del", ATTACKER_NS));
        Shell.run(List.of("ip", "netns", "del", SERVER_NS));
        Shell.run(List.of("ip", "link", "del", "m" + ID + "r"));
    }

    private static Http.Response api(String method, String path, String body) {
        return Http.send(HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1" + path))).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** curl in a namespace: the status line's code and the body, {@code -k} (the attacker does not care whom it talks to). */
    private static String[] curl(String ns, String method, String url, String bearer, String body) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "curl", "-sk", "-m", "20", "-o", "-", "-w", "\n%{http_code}",
                "-X", method));
        if (bearer != null) {
            cmd.addAll(List.of("-H", "Authorization: Bearer " + bearer));
        }
        if (body != null) {
            cmd.addAll(List.of("-H", "Content-Type: application/json", "--data", body));
        }
        cmd.add(url);
        String out = Shell.run(cmd).output().trim();
        int nl = out.lastIndexOf('\n');
        return new String[] {out.substring(nl + 1).trim(), nl < 0 ? "" : out.substring(0, nl)};
    }

    private static String bootToken(String ns) throws Exception {
        String script = curl(ns, "GET", "http://" + SERVER_IP + ":" + server.httpPort() + "/ipxe/" + MAC + "/auto.ipxe", null, null)[1];
        Matcher m = Pattern.compile("ironbell\\.boot_token=(\\S+)").matcher(script);
        assertTrue(m.find(), "the boot script carries a boot token: " + script);
        assertTrue(script.contains("ironbell.server=https://" + SERVER_IP + ":" + server.tlsPort()), script);
        return m.group(1);
    }

    @Test
    void anAttackerWithTheVictimsAddressesCannotClaimOrReportItsAction() throws Exception {
        // an image server in the server's namespace that accepts and never answers: the victim's action runs until it is stopped
        int imagePort = io.ironbell.testing.FreePort.find();
        Process images = new ProcessBuilder("ip", "netns", "exec", SERVER_NS, "timeout", "600", "python3", "-c",
                "import socket,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('" + SERVER_IP + "',"
                        + imagePort + "));s.listen(8)\nheld=[]\nwhile True:\n  c,_=s.accept();held.append(c)\n  open('" + tmp.resolve("stalled")
                        + "','a').write('x')\n").redirectErrorStream(true).start();
        ServerProcess worker = null;
        try {
            assertEquals(201, api("POST", "/templates?name=identity", """
                    version: "0.1"
                    name: identity
                    global_timeout: 600
                    tasks:
                      - name: provision
                        worker: "{{.device_1}}"
                        actions:
                          - name: stream
                            image: quay.io/tinkerbell-actions/image2disk:v1.0.0
                            timeout: 300
                            environment: {IMG_URL: "http://%s:%d/never.raw", DEST_DISK: "%s", IMG_CHECKSUM: "sha256:%s"}
                    """.formatted(SERVER_IP, imagePort, tmp.resolve("disk.img"), "0".repeat(64))).status());
            Files.write(tmp.resolve("disk.img"), new byte[1 << 20]);
            Http.Response created = api("POST", "/workflows", "{\"template\":\"identity\",\"hardware\":{\"device_1\":\"" + MAC + "\"}}");
            assertEquals(201, created.status(), created.body());
            String workflow = Json.mapper().readTree(created.body()).get("id").asText();

            // the victim boots: its boot script (plain HTTP) gives the token, its worker exchanges it over verified HTTPS
            String victimsBootToken = bootToken(VICTIM_NS);
            worker = ServerProcess.startWorkerWrapped(tmp.resolve("home"), List.of("ip", "netns", "exec", VICTIM_NS),
                    "https://" + SERVER_IP + ":" + server.tlsPort(), MAC, Map.of("IRONBELL_WORKER_BOOT_TOKEN", victimsBootToken),
                    "--ca-fingerprint", server.caFingerprint(), "--state", tmp.resolve("victim-state").toString(), "-Dworker.pollMillis=500");
            ServerProcess w = worker;
            Await.until("the victim's action to run", Duration.ofSeconds(90), () -> {
                assertTrue(w.process().isAlive(), String.join("\n", w.output()));
                return Files.exists(tmp.resolve("stalled")) ? true : null;
            });
            assertTrue(worker.output().stream().anyMatch(l -> l.contains("exchanged the boot token")), String.join("\n", worker.output()));
            assertEquals("RUNNING", action(workflow).get("state").asText());

            // the attacker takes the victim's IP and MAC
            Shell.steps(new String[][] {{"ip", "-n", VICTIM_NS, "link", "set", "m" + ID + "v", "down"},
                {"ip", "-n", ATTACKER_NS, "link", "set", "m" + ID + "a", "up"}});
            String api = "https://" + SERVER_IP + ":" + server.tlsPort() + "/api/v1";
            String exchange = api + "/machines/session";

            String[] byAddress = curl(ATTACKER_NS, "GET", api + "/worker/" + MAC + "/next", null, null);
            assertEquals("401", byAddress[0], "the victim's address alone claims nothing: " + byAddress[1]);

            String[] replay = curl(ATTACKER_NS, "POST", exchange, null, "{\"bootToken\":\"" + victimsBootToken + "\"}");
            assertEquals("401", replay[0], replay[1]);
            assertTrue(replay[1].contains("used already"), "a sniffed boot token is spent: " + replay[1]);

            String fresh = bootToken(ATTACKER_NS);
            String[] takeover = curl(ATTACKER_NS, "POST", exchange, null, "{\"bootToken\":\"" + fresh + "\"}");
            assertEquals("401", takeover[0], takeover[1]);
            assertTrue(takeover[1].contains("has a session in use"), "a fresh boot token does not displace a working worker: " + takeover[1]);

            String report = "{\"workflowId\":\"" + workflow + "\",\"actionIndex\":0,\"state\":\"SUCCESS\",\"message\":\"nothing written\"}";
            String[] forged = curl(ATTACKER_NS, "POST", api + "/worker/" + MAC + "/report", "ibm_AAAAAAAAAAAAAAAAAAAAAA_"
                    + "A".repeat(43), report);
            assertEquals("401", forged[0], forged[1]);
            String[] plain = curl(ATTACKER_NS, "POST", "http://" + SERVER_IP + ":" + server.httpPort() + "/api/v1/worker/" + MAC + "/report",
                    null, report);
            assertEquals("403", plain[0], "the worker API is not served over plain HTTP: " + plain[1]);
            assertTrue(plain[1].contains("https_required"), plain[1]);

            JsonNode stream = action(workflow);
            assertEquals("RUNNING", stream.get("state").asText(), "the victim's action is untouched: " + stream);

            // the victim comes back: its worker's session still holds, and its report is taken (the image
            // server goes away, image2disk gives up, the worker reports the failure)
            Shell.steps(new String[][] {{"ip", "-n", ATTACKER_NS, "link", "set", "m" + ID + "a", "down"},
                {"ip", "-n", VICTIM_NS, "link", "set", "m" + ID + "v", "up"}});
            images.destroyForcibly().waitFor();
            JsonNode ended = Await.until("the victim's worker to report its action", Duration.ofSeconds(120), () -> {
                JsonNode a = action(workflow);
                return a.get("state").asText().equals("RUNNING") ? null : a;
            }).value();
            assertEquals("FAILED", ended.get("state").asText(), ended.toString());
            assertTrue(ended.toString().contains("never.raw"), "the worker's own message: " + ended);
            // a 401 as a status, not as digits of a port (https://10.237.0.1:40195 once made this fail)
            assertTrue(worker.output().stream().noneMatch(l -> l.contains("session is unknown") || l.matches(".*(?<![0-9:.])401(?![0-9]).*")),
                    "the victim's session was never refused: " + String.join("\n", worker.output()));
        } finally {
            if (worker != null) {
                worker.close();
            }
            images.destroyForcibly();
        }
    }

    private static JsonNode action(String workflow) {
        Http.Response r = api("GET", "/workflows/" + workflow, null);
        assertEquals(200, r.status(), r.body());
        try {
            return Json.mapper().readTree(r.body()).get("actions").get(0);
        } catch (java.io.IOException e) {
            throw new AssertionError(r.body(), e);
        }
    }
}
