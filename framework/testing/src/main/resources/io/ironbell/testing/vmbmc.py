#!/usr/bin/python3
"""A BMC for tests that drives a real QEMU VM (or, without one, keeps the chassis in files).

Two faces over one chassis kept in a state directory:
  vmbmc.py chassis DIR get power|boot          ipmi_sim's chassis_control program
  vmbmc.py chassis DIR set power|reset|boot|shutdown VALUE
  vmbmc.py redfish DIR --port P [--cert C --key K] --user U --password W
                                               a Redfish service (DMTF schemas as Ironic's sushy reads them)

DIR/vm.json, when present, describes the VM: {"argv": [qemu, ...], "firmware": "seabios"|"ovmf",
"pxeArgs": [...], "diskArgs": [...]} (under OVMF the boot order is the devices' bootindex: the
arguments for a network boot or a disk boot are added as the override says).
Powering on starts a supervisor (vmbmc.py supervise DIR, detached) that runs QEMU with the boot
order from the boot override, a CD drive holding the inserted virtual media and QMP sockets, and
starts it again when the guest reboots (as firmware does, reading the boot override again), until
the guest powers off or the BMC turns it off (QMP quit). Soft off is system_powerdown; reset is
off and on. A "once" override is cleared after the start it applied to. Knobs for tests: DIR/hang (seconds each request sleeps), DIR/task-never-ends
(a virtual media insertion answers 202 with a task that stays Running).
"""
import base64, json, os, secrets, signal, socket, ssl, subprocess, sys, threading, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Chassis:
    def __init__(self, d):
        self.d = d
        os.makedirs(d, exist_ok=True)
        self.lock = threading.RLock()

    def path(self, name):
        return os.path.join(self.d, name)

    def read(self, name, default=None):
        try:
            with open(self.path(name)) as f:
                return f.read().strip()
        except FileNotFoundError:
            return default

    def write(self, name, value):
        with open(self.path(name) + ".tmp", "w") as f:
            f.write(value)
        os.replace(self.path(name) + ".tmp", self.path(name))

    def log(self, line):
        with open(self.path("log"), "a") as f:
            f.write("%.3f %s\n" % (time.time(), line))

    def vm(self):
        text = self.read("vm.json")
        return json.loads(text) if text else None

    def alive(self, name):
        p = self.read(name)
        if not p:
            return None
        try:
            os.kill(int(p), 0)
            with open("/proc/%s/stat" % p) as f:
                if f.read().split(") ")[-1].startswith("Z"):
                    return None
        except (ProcessLookupError, ValueError, FileNotFoundError):
            return None
        return int(p)

    def pid(self):
        return self.alive("qemu.pid")

    def power(self):
        if self.vm() is None:
            return self.read("power", "0") == "1"
        return self.alive("supervisor.pid") is not None

    def qmp(self, command, arguments=None, sock="qmp.sock"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.path(sock))
        f = s.makefile("rw")
        f.readline()
        f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n"); f.flush(); f.readline()
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        f.write(json.dumps(msg) + "\n"); f.flush()
        while True:
            line = f.readline()
            if not line:
                return None
            r = json.loads(line)
            if "return" in r or "error" in r:
                s.close()
                if "error" in r:
                    raise RuntimeError(r["error"].get("desc"))
                return r["return"]

    def argv(self):
        """QEMU's command line for the next start, from the boot override; clears a "once" override."""
        vm = self.vm()
        boot = self.read("boot", "default")
        argv = list(vm["argv"])
        order = {"pxe": "n", "cdrom": "d", "default": "c", "disk": "c", "bios": "c", "none": "c"}.get(boot, "c")
        media = self.read("media", "")
        cd = "if=none,id=cd0,media=cdrom,readonly=on" + (",file=" + media + ",format=raw" if media else "")
        argv += ["-drive", cd, "-device", "ide-cd,id=cd0dev,drive=cd0" + (",bootindex=0" if order == "d" else "")]
        if vm.get("firmware") == "ovmf":
            argv += vm.get("pxeArgs", []) if order == "n" else vm.get("diskArgs", [])
        else:
            argv += ["-boot", "order=" + order]
        argv += ["-qmp", "unix:%s,server=on,wait=off" % self.path("qmp.sock"),
                 "-qmp", "unix:%s,server=on,wait=off" % self.path("events.sock"),
                 "-action", "reboot=shutdown", "-pidfile", self.path("qemu.pid")]
        self.log("start qemu, boot %s (%s)" % (boot, self.read("boot-mode", "once")))
        if self.read("boot-mode", "once") == "once":
            self.write("boot", "default")
        self.write("starts", str(int(self.read("starts", "0")) + 1))
        return argv

    def start(self):
        self.log("power on")
        if self.vm() is None:
            self.write("power", "1")
            return
        for f in ("off-requested", "qemu.pid", "qmp.sock", "events.sock"):
            try:
                os.unlink(self.path(f))
            except FileNotFoundError:
                pass
        with open(self.path("supervisor.log"), "a") as out:
            subprocess.Popen([sys.executable, os.path.abspath(__file__), "supervise", self.d], stdin=subprocess.DEVNULL,
                             stdout=out, stderr=out, start_new_session=True)
        for _ in range(200):
            if self.pid() and os.path.exists(self.path("qmp.sock")):
                return
            time.sleep(0.05)

    def supervise(self):
        """Runs QEMU until the guest powers off or the BMC turns it off; a guest reboot starts it again."""
        self.write("supervisor.pid", str(os.getpid()))
        try:
            while True:
                reason = {}
                with open(self.path("qemu.log"), "a") as out:
                    p = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=out, stderr=out)
                watcher = threading.Thread(target=self.watch_events, args=(reason,), daemon=True)
                watcher.start()
                p.wait()
                watcher.join(2)
                why = reason.get("reason", "exit %d" % p.returncode)
                self.log("qemu ended: " + why)
                if self.read("off-requested") or why != "guest-reset":
                    return
        finally:
            try:
                os.unlink(self.path("supervisor.pid"))
            except FileNotFoundError:
                pass

    def watch_events(self, reason):
        for _ in range(200):
            if os.path.exists(self.path("events.sock")):
                break
            time.sleep(0.05)
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.path("events.sock"))
            f = s.makefile("rw")
            f.readline()
            f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n"); f.flush()
            for line in f:
                e = json.loads(line)
                if e.get("event") == "SHUTDOWN":
                    reason["reason"] = e.get("data", {}).get("reason", "")
        except OSError:
            pass

    def stop(self, graceful=False):
        self.log("power off" + (" (soft)" if graceful else ""))
        if self.vm() is None:
            self.write("power", "0")
            return
        if graceful:
            if self.pid() is not None:
                self.qmp("system_powerdown")
            return
        self.write("off-requested", "1")
        pid = self.pid()
        if pid is not None:
            try:
                self.qmp("quit")
            except Exception:
                os.kill(pid, signal.SIGKILL)
        for _ in range(200):
            if self.alive("supervisor.pid") is None:
                return
            time.sleep(0.05)
        for name in ("qemu.pid", "supervisor.pid"):
            p = self.alive(name)
            if p:
                os.kill(p, signal.SIGKILL)

    def set_power(self, on):
        with self.lock:
            if on and not self.power():
                self.start()
            elif not on and self.power():
                self.stop()

    def reset(self):
        with self.lock:
            self.log("reset")
            if self.power():
                self.stop()
            self.start()

    def set_boot(self, device, mode="once", uefi=None):
        self.write("boot", device)
        self.write("boot-mode", mode)
        if uefi is not None:
            self.write("boot-uefi", "1" if uefi else "0")
        self.log("boot %s %s" % (device, mode))

    def insert(self, image):
        self.write("media", image)
        self.log("media insert " + image)
        if self.vm() is not None and self.pid() is not None:
            self.qmp("blockdev-change-medium", {"id": "cd0dev", "filename": image, "format": "raw"})

    def eject(self):
        self.write("media", "")
        self.log("media eject")
        if self.vm() is not None and self.pid() is not None:
            self.qmp("eject", {"id": "cd0dev", "force": True})


def chassis_main(args):
    c = Chassis(args[0])
    verb, what = args[1], args[2]
    hang = c.read("hang")
    if hang:
        time.sleep(float(hang))
    c.log("ipmi %s" % " ".join(args[1:]))
    if verb == "get" and what == "power":
        print("power:%d" % (1 if c.power() else 0))
    elif verb == "get" and what == "boot":
        print("boot:%s" % c.read("boot", "default"))
    elif verb == "set" and what == "power":
        c.set_power(args[3].strip('"') == "1")
    elif verb == "set" and what == "reset":
        c.reset()
    elif verb == "set" and what == "shutdown":
        c.stop(graceful=True)
    elif verb == "set" and what == "boot":
        c.set_boot(args[3].strip('"'), c.read("boot-mode", "once"))
    return 0


BOOT_TARGETS = {"Pxe": "pxe", "Hdd": "disk", "Cd": "cdrom", "BiosSetup": "bios", "None": "default"}
RESET_TYPES = ["On", "ForceOff", "GracefulShutdown", "ForceRestart", "PowerCycle", "Nmi"]


class Redfish(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    chassis = None
    user = password = None
    sessions = {}
    tasks = {}

    def log_message(self, fmt, *a):
        self.chassis.log("http " + (fmt % a))

    def send(self, code, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("OData-Version", "4.0")
        if body is not None:
            self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        # one request per connection, as many BMCs serve: a kept-alive TLS connection was at times dropped
        # between two requests without a word, which clients (sushy) take for a failure
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def error(self, code, message):
        self.send(code, {"error": {"code": "Base.1.8.GeneralError", "message": message,
                                   "@Message.ExtendedInfo": [{"MessageId": "Base.1.8.GeneralError", "Message": message}]}})

    def body(self):
        return json.loads(self.raw) if self.raw else {}

    def authorized(self):
        token = self.headers.get("X-Auth-Token")
        if token and token in self.sessions.values():
            return True
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            return u == self.user and p == self.password
        return False

    def handle_any(self, method):
        # read every body, used or not: what is left in the stream would be read as the next request
        n = int(self.headers.get("Content-Length") or 0)
        self.raw = self.rfile.read(n) if n else b""
        hang = self.chassis.read("hang")
        if hang:
            time.sleep(float(hang))
        path = self.path.split("?")[0].rstrip("/")
        if path in ("/redfish", "/redfish/v1") and method == "GET":
            return self.send(200, self.root() if path == "/redfish/v1" else {"v1": "/redfish/v1/"})
        if path == "/redfish/v1/SessionService/Sessions" and method == "POST":
            b = self.body()
            if b.get("UserName") != self.user or b.get("Password") != self.password:
                return self.error(401, "invalid user name or password")
            sid, token = secrets.token_hex(4), secrets.token_hex(16)
            self.sessions[sid] = token
            loc = "/redfish/v1/SessionService/Sessions/" + sid
            return self.send(201, {"@odata.id": loc, "Id": sid, "UserName": self.user}, {"X-Auth-Token": token, "Location": loc})
        if not self.authorized():
            return self.error(401, "authentication required")
        c = self.chassis
        if path == "/redfish/v1/Systems" and method == "GET":
            return self.send(200, collection("/redfish/v1/Systems", ["/redfish/v1/Systems/1"], "ComputerSystemCollection"))
        if path == "/redfish/v1/Systems/1" and method == "GET":
            s = self.system()
            return self.send(200, s, {"ETag": etag(s)})
        if path == "/redfish/v1/Systems/1" and method == "PATCH":
            if self.headers.get("If-Match") and self.headers.get("If-Match") != etag(self.system()):
                return self.error(412, "the ETag does not match")
            boot = self.body().get("Boot", {})
            target = boot.get("BootSourceOverrideTarget")
            if target is not None and target not in BOOT_TARGETS:
                return self.error(400, "BootSourceOverrideTarget %s is not allowed" % target)
            enabled = boot.get("BootSourceOverrideEnabled", "Once")
            if enabled not in ("Once", "Continuous", "Disabled"):
                return self.error(400, "BootSourceOverrideEnabled %s is not allowed" % enabled)
            if target is not None or "BootSourceOverrideEnabled" in boot:
                mode = boot.get("BootSourceOverrideMode")
                c.set_boot(BOOT_TARGETS[target or "None"] if enabled != "Disabled" else "default",
                           "persistent" if enabled == "Continuous" else "once", None if mode is None else mode == "UEFI")
            return self.send(204)
        if path == "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset" and method == "POST":
            t = self.body().get("ResetType")
            if t not in RESET_TYPES:
                return self.error(400, "ResetType %s is not one of %s" % (t, RESET_TYPES))
            if t == "On":
                c.set_power(True)
            elif t == "ForceOff":
                c.set_power(False)
            elif t == "GracefulShutdown":
                if c.power():
                    c.stop(graceful=True)
            elif t in ("ForceRestart", "PowerCycle"):
                c.reset()
            return self.send(204)
        if path == "/redfish/v1/Managers" and method == "GET":
            return self.send(200, collection("/redfish/v1/Managers", ["/redfish/v1/Managers/1"], "ManagerCollection"))
        if path == "/redfish/v1/Managers/1" and method == "GET":
            return self.send(200, {"@odata.id": "/redfish/v1/Managers/1", "@odata.type": "#Manager.v1_10_0.Manager", "Id": "1",
                                   "Name": "Manager", "ManagerType": "BMC", "FirmwareVersion": "1.0",
                                   "VirtualMedia": {"@odata.id": "/redfish/v1/Managers/1/VirtualMedia"},
                                   "Links": {"ManagerForServers": [{"@odata.id": "/redfish/v1/Systems/1"}]}})
        if path == "/redfish/v1/Managers/1/VirtualMedia" and method == "GET":
            return self.send(200, collection("/redfish/v1/Managers/1/VirtualMedia", ["/redfish/v1/Managers/1/VirtualMedia/Cd"],
                                             "VirtualMediaCollection"))
        if path == "/redfish/v1/Managers/1/VirtualMedia/Cd" and method == "GET":
            return self.send(200, self.media())
        if path == "/redfish/v1/Managers/1/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia" and method == "POST":
            image = self.body().get("Image")
            if not image:
                return self.error(400, "Image is required")
            return self.insert(image)
        if path == "/redfish/v1/Managers/1/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia" and method == "POST":
            c.eject()
            return self.send(204)
        if path == "/redfish/v1/Managers/1/VirtualMedia/Cd" and method == "PATCH":
            b = self.body()
            if b.get("Inserted") is False or b.get("Image") is None:
                c.eject()
                return self.send(204)
            return self.insert(b["Image"])
        if path.startswith("/redfish/v1/TaskService/Tasks/") and method == "GET":
            t = self.tasks.get(path.rsplit("/", 1)[1])
            if t is None:
                return self.error(404, "no such task")
            if t["TaskState"] == "Running":
                return self.send(202, t, {"Location": path})
            return self.send(200, t)
        if path.startswith("/redfish/v1/SessionService/Sessions/") and method == "DELETE":
            self.sessions.pop(path.rsplit("/", 1)[1], None)
            return self.send(204)
        if path == "/redfish/v1/Chassis/1/Thermal" and method == "GET":
            return self.send(200, {"@odata.id": path, "Id": "Thermal", "Name": "Thermal", "Temperatures": [
                {"MemberId": "0", "Name": "CPU1 Temp", "ReadingCelsius": 41, "Status": {"Health": "OK", "State": "Enabled"}}],
                "Fans": [{"MemberId": "0", "Name": "Fan1", "Reading": 5400, "ReadingUnits": "RPM", "Status": {"Health": "OK"}}]})
        if path == "/redfish/v1/Chassis" and method == "GET":
            return self.send(200, collection("/redfish/v1/Chassis", ["/redfish/v1/Chassis/1"], "ChassisCollection"))
        if path == "/redfish/v1/Chassis/1" and method == "GET":
            return self.send(200, {"@odata.id": path, "Id": "1", "Name": "Chassis", "Thermal": {"@odata.id": path + "/Thermal"}})
        return self.error(404 if method == "GET" else 405, "%s %s is not here" % (method, path))

    def insert(self, image):
        c = self.chassis
        if c.read("task-never-ends"):
            tid = str(len(self.tasks) + 1)
            loc = "/redfish/v1/TaskService/Tasks/" + tid
            self.tasks[tid] = {"@odata.id": loc, "Id": tid, "Name": "InsertMedia", "TaskState": "Running", "PercentComplete": 0}
            return self.send(202, self.tasks[tid], {"Location": loc})
        local = image
        if image.startswith("http"):
            # as a BMC does: fetch the image, then present it to the host
            local = c.path("media.iso")
            r = subprocess.run(["curl", "-sfk", "-m", "120", "-o", local, image])
            if r.returncode != 0:
                return self.error(400, "cannot fetch %s (curl exit %d)" % (image, r.returncode))
        c.insert(local)
        c.write("media-url", image)
        return self.send(204)

    def root(self):
        return {"@odata.id": "/redfish/v1", "@odata.type": "#ServiceRoot.v1_5_0.ServiceRoot", "Id": "RootService",
                "Name": "Root Service", "RedfishVersion": "1.6.0", "UUID": str(uuid.uuid5(uuid.NAMESPACE_URL, self.chassis.d)),
                "Systems": {"@odata.id": "/redfish/v1/Systems"}, "Managers": {"@odata.id": "/redfish/v1/Managers"},
                "Chassis": {"@odata.id": "/redfish/v1/Chassis"},
                "SessionService": {"@odata.id": "/redfish/v1/SessionService"}, "TaskService": {"@odata.id": "/redfish/v1/TaskService"},
                "Links": {"Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}}}

    def system(self):
        c = self.chassis
        boot = c.read("boot", "default")
        target = {v: k for k, v in BOOT_TARGETS.items()}.get(boot, "None")
        mode = c.read("boot-mode", "once")
        return {"@odata.id": "/redfish/v1/Systems/1", "@odata.type": "#ComputerSystem.v1_10_0.ComputerSystem", "Id": "1",
                "Name": "vm", "Manufacturer": "QEMU", "Model": "Standard PC", "SerialNumber": "VM-" + os.path.basename(c.d),
                "UUID": str(uuid.uuid5(uuid.NAMESPACE_URL, c.d)), "BiosVersion": "test", "SystemType": "Physical",
                "PowerState": "On" if c.power() else "Off",
                "Boot": {"BootSourceOverrideTarget": target,
                         "BootSourceOverrideEnabled": "Disabled" if boot == "default" else ("Continuous" if mode == "persistent" else "Once"),
                         "BootSourceOverrideMode": "UEFI" if c.read("boot-uefi", "0") == "1" else "Legacy",
                         "BootSourceOverrideTarget@Redfish.AllowableValues": list(BOOT_TARGETS)},
                "ProcessorSummary": {"Count": 1}, "MemorySummary": {"TotalSystemMemoryGiB": 1},
                "Actions": {"#ComputerSystem.Reset": {"target": "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
                                                      "ResetType@Redfish.AllowableValues": RESET_TYPES}},
                "Links": {"ManagedBy": [{"@odata.id": "/redfish/v1/Managers/1"}], "Chassis": [{"@odata.id": "/redfish/v1/Chassis/1"}]}}

    def media(self):
        c = self.chassis
        image = c.read("media-url", "") if c.read("media", "") else ""
        base = "/redfish/v1/Managers/1/VirtualMedia/Cd"
        return {"@odata.id": base, "@odata.type": "#VirtualMedia.v1_3_0.VirtualMedia", "Id": "Cd", "Name": "Virtual CD",
                "MediaTypes": ["CD", "DVD"], "Image": image or None, "ImageName": os.path.basename(image) if image else None,
                "Inserted": bool(image), "WriteProtected": True, "ConnectedVia": "URI" if image else "NotConnected",
                "Actions": {"#VirtualMedia.InsertMedia": {"target": base + "/Actions/VirtualMedia.InsertMedia"},
                            "#VirtualMedia.EjectMedia": {"target": base + "/Actions/VirtualMedia.EjectMedia"}}}

    def do_GET(self):
        self.guarded("GET")

    def do_POST(self):
        self.guarded("POST")

    def do_PATCH(self):
        self.guarded("PATCH")

    def do_DELETE(self):
        self.guarded("DELETE")

    def guarded(self, method):
        """A failure of this service answers 500 with its reason and goes to the chassis log, as a BMC would
        answer, instead of a connection closed without a word."""
        try:
            self.handle_any(method)
        except Exception as e:
            import traceback
            self.chassis.log("http %s %s failed: %s" % (method, self.path, traceback.format_exc()))
            self.error(500, "%s %s failed: %r" % (method, self.path, e))


def collection(odata_id, members, kind):
    return {"@odata.id": odata_id, "@odata.type": "#%s.%s" % (kind, kind), "Name": kind,
            "Members": [{"@odata.id": m} for m in members], "Members@odata.count": len(members)}


def etag(system):
    b = system["Boot"]
    return 'W/"%08x"' % (hash((b["BootSourceOverrideTarget"], b["BootSourceOverrideEnabled"], b["BootSourceOverrideMode"],
                                system["PowerState"])) & 0xffffffff)


def redfish_main(args):
    d = args[0]
    opts = dict(zip(args[1::2], args[2::2]))
    Redfish.chassis = Chassis(d)
    Redfish.user, Redfish.password = opts["--user"], opts["--password"]
    server = ThreadingHTTPServer((opts.get("--address", "127.0.0.1"), int(opts["--port"])), Redfish)
    if "--cert" in opts:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opts["--cert"], opts["--key"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    Redfish.chassis.log("redfish on %s" % opts["--port"])
    server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1] == "supervise":
        Chassis(sys.argv[2]).supervise()
        sys.exit(0)
    if sys.argv[1] == "chassis":
        sys.exit(chassis_main(sys.argv[2:]))
    if sys.argv[1] == "redfish":
        redfish_main(sys.argv[2:])
