package io.ironbell.bench;

import io.ironbell.action.image2disk.Image2Disk;
import io.ironbell.api.action.ActionResult;
import io.ironbell.testing.TestActionContext;
import java.util.Map;

/**
 * Runs the image2disk plugin once, outside any container, as bench/image2disk.sh times it:
 * {@code java -Xmx64m -cp benchmarks.jar io.ironbell.bench.Image2DiskRun URL DISK}. Prints the
 * plugin's result line (bytes, seconds, MiB/s) and exits 0, or the failure and exits 1.
 */
public final class Image2DiskRun {

    private Image2DiskRun() {
    }

    public static void main(String[] args) throws Exception {
        TestActionContext ctx = new TestActionContext("quay.io/tinkerbell-actions/image2disk:v1.0.0",
                // the benchmark's image comes over plain HTTP from this host, as curl | zstd | dd gets it: unverified on purpose
                Map.of("IMG_URL", args[0], "DEST_DISK", args[1], "COMPRESSED", "true", "INSECURE_NO_IMG_CHECKSUM_VERIFICATION", "true"));
        try {
            ActionResult r = new Image2Disk().execute(ctx);
            System.out.println(r.message());
        } catch (Exception e) {
            System.out.println("failed: " + e);
            System.exit(1);
        }
    }
}
