package io.ironbell.testing;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Leak checks for {@code EmbeddedChannel} tests, with two nets.
 *
 * <ul>
 * <li>{@link #alloc()} is an allocator for the channel under test (and for the test's own
 *     inbound packets) that remembers every buffer it hands out. {@link #assertNoLeaks()} fails
 *     unless each one is back at {@code refCnt() == 0}. This one is deterministic: it needs no
 *     garbage collection, so a leak fails the test that caused it, every time.
 * <li>Netty's own detector, at {@link ResourceLeakDetector.Level#PARANOID} from
 *     {@link #paranoid()} to {@link #restore()}, with a listener: a leak it reports meanwhile
 *     (of a buffer from any allocator) also fails {@link #assertNoLeaks()}. It reports only
 *     buffers the collector has found unreachable, so it is the net for buffers the code under
 *     test did not take from the channel's allocator, not a dependable one.
 * </ul>
 *
 * Buffers come from Netty's unpooled heap and direct implementations, never recycled, so a
 * released buffer keeps reporting {@code refCnt() == 0}; each still passes through Netty's
 * detector, which under PARANOID records where it was touched.
 */
public final class LeakCheck {

    private static final List<String> REPORTED = new CopyOnWriteArrayList<>();
    private static ResourceLeakDetector.Level before;

    private final Allocator alloc = new Allocator();

    /** {@code @ExtendWith(LeakCheck.Paranoid.class)}: {@link #paranoid()} before a test class, {@link #restore()} after it. */
    public static final class Paranoid implements BeforeAllCallback, AfterAllCallback {
        @Override
        public void beforeAll(ExtensionContext context) {
            paranoid();
        }

        @Override
        public void afterAll(ExtensionContext context) {
            restore();
        }
    }

    /** Turns Netty's detector to PARANOID and listens to its reports; call before the tests. */
    public static void paranoid() {
        before = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        REPORTED.clear();
        ByteBufUtil.setLeakListener((type, records) -> REPORTED.add("LEAK of a " + type + " reported by Netty:" + records));
    }

    /** Puts the detector back as it was, for the test classes that follow in this JVM. */
    public static void restore() {
        ByteBufUtil.setLeakListener(null);
        ResourceLeakDetector.setLevel(before);
    }

    /** The allocator to give the channel: {@code channel.config().setAllocator(check.alloc())}. */
    public ByteBufAllocator alloc() {
        return alloc;
    }

    /** How many buffers the allocator handed out so far. */
    public int allocated() {
        return alloc.handedOut.size();
    }

    /** Fails naming every buffer of {@link #alloc()} that is still referenced, and every leak Netty reported. */
    public void assertNoLeaks() {
        List<String> problems = new ArrayList<>(REPORTED);
        REPORTED.clear();
        List<ByteBuf> all = alloc.handedOut;
        for (int i = 0; i < all.size(); i++) {
            ByteBuf b = all.get(i);
            if (b.refCnt() != 0) {
                problems.add("buffer " + (i + 1) + " of " + all.size() + " still has refCnt " + b.refCnt() + ": "
                        + ByteBufUtil.hexDump(b, 0, Math.min(b.writerIndex(), 16)) + (b.writerIndex() > 16 ? "…" : ""));
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(problems.size() + " leak(s):\n" + String.join("\n", problems));
        }
    }

    private static final class Allocator extends AbstractByteBufAllocator {
        final List<ByteBuf> handedOut = new ArrayList<>();

        Allocator() {
            super(false); // heap unless asked for direct
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return remember(toLeakAwareBuffer(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity)));
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return remember(toLeakAwareBuffer(new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity)));
        }

        private ByteBuf remember(ByteBuf b) {
            handedOut.add(b);
            return b;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }
}
