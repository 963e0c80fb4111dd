package io.ironbell.action.support;

import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.testing.FileServer;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Run by {@link CompressionTest} in a JVM with the worker's heap: writes each xz image given onto
 * a file through {@link DiskImageWriter}, as image2disk does, while as much heap is held as the
 * worker itself holds, and prints one line per image: {@code written BYTES} or {@code refused
 * REASON: MESSAGE}. Running out of memory ends the JVM (-XX:+ExitOnOutOfMemoryError).
 */
public final class XzInSmallHeap {

    /** What the worker holds while an action runs: its idle live set (12 MiB, jcmd GC.heap_info) and a full log queue. */
    static final int WORKER_MIB = Integer.getInteger("worker.mib", 14);

    private XzInSmallHeap() {
    }

    public static void main(String[] args) throws Exception {
        List<byte[]> worker = new ArrayList<>();
        for (int i = 0; i < WORKER_MIB * 16; i++) {
            worker.add(new byte[64 * 1024]);
        }
        // the worker's own garbage (HTTP, log lines, progress) keeps the young generation busy, so that
        // whatever lives long, the dictionary too, is promoted into the old generation
        Thread churn = new Thread(() -> {
            long sum = 0;
            while (true) {
                sum += new byte[16 * 1024].length;
                if (sum % (64 << 20) == 0) {
                    Thread.yield();
                }
            }
        });
        churn.setDaemon(true);
        churn.start();
        Path dir = Path.of(args[0]);
        var http = FileServer.serve(dir);
        try {
            for (int i = 1; i < args.length; i++) {
                Path target = Files.createTempFile(dir, "disk", ".img");
                URI uri = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/" + args[i]);
                try {
                    DiskImageWriter.Written w = DiskImageWriter.write(context(), new ResumableDownload(uri, Duration.ofSeconds(30), Map.of(),
                            line -> { }), null, Compression.XZ, target);
                    System.out.println(args[i] + " written " + w.bytes());
                } catch (ActionException e) {
                    System.out.println(args[i] + " refused " + e.reason() + ": " + e.getMessage());
                }
                System.out.flush();
            }
        } finally {
            http.stop(0);
        }
        System.out.println("held " + worker.size() / 16 + " MiB for the worker");
    }

    private static ActionContext context() {
        InvocationHandler h = (proxy, method, a) -> switch (method.getName()) {
            case "isCancelled" -> false;
            case "actionName" -> "image2disk";
            case "environment" -> Map.of();
            case "progress", "log" -> null;
            default -> method.isDefault() ? InvocationHandler.invokeDefault(proxy, method, a) : null;
        };
        return (ActionContext) Proxy.newProxyInstance(XzInSmallHeap.class.getClassLoader(), new Class<?>[] {ActionContext.class}, h);
    }
}
