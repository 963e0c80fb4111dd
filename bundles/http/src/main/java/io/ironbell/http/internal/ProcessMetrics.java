package io.ironbell.http.internal;

import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.RuntimeMXBean;
import java.lang.management.ThreadMXBean;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/** The process's own figures: uptime, heap, threads, GC, CPU, open files, bundles. */
@Component(service = MetricSet.class)
public final class ProcessMetrics implements MetricSet {

    private final BundleContext context;
    private final RuntimeMXBean runtime = ManagementFactory.getRuntimeMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();

    @Activate
    public ProcessMetrics(BundleContext context) {
        this.context = context;
    }

    @Override
    public void collect(MetricWriter w) {
        w.gauge("process_start_time_seconds", "start time of the process since the Unix epoch", runtime.getStartTime() / 1000.0);
        w.gauge("ironbell_uptime_seconds", "seconds since the process started", runtime.getUptime() / 1000.0);
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
        w.gauge("jvm_memory_used_bytes", "memory in use", heap.getUsed(), "area", "heap");
        w.gauge("jvm_memory_used_bytes", "memory in use", nonHeap.getUsed(), "area", "nonheap");
        w.gauge("jvm_memory_committed_bytes", "memory committed", heap.getCommitted(), "area", "heap");
        w.gauge("jvm_memory_committed_bytes", "memory committed", nonHeap.getCommitted(), "area", "nonheap");
        w.gauge("jvm_memory_max_bytes", "most memory that can be used", heap.getMax(), "area", "heap");
        w.gauge("jvm_threads_current", "live threads", threads.getThreadCount());
        w.gauge("jvm_threads_daemon", "live daemon threads", threads.getDaemonThreadCount());
        w.gauge("jvm_threads_peak", "most live threads since start", threads.getPeakThreadCount());
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            w.counter("jvm_gc_collection_seconds_count", "collections", gc.getCollectionCount(), "gc", gc.getName());
            w.counter("jvm_gc_collection_seconds_sum", "time spent collecting", gc.getCollectionTime() / 1000.0, "gc", gc.getName());
        }
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            w.counter("process_cpu_seconds_total", "CPU time used", unix.getProcessCpuTime() / 1e9);
            w.gauge("process_open_fds", "open file descriptors", unix.getOpenFileDescriptorCount());
            w.gauge("process_max_fds", "most file descriptors allowed", unix.getMaxFileDescriptorCount());
        }
        w.gauge("ironbell_bundles", "OSGi bundles installed", context.getBundles().length);
    }
}
