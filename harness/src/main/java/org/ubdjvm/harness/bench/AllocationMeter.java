package org.ubdjvm.harness.bench;

import java.lang.management.ManagementFactory;

/**
 * Bytes allocated by every live thread of this JVM (submitters, the ring's worker, the engine's reaper...), read at
 * the start and the end of a measured window: the difference over the requests done is the bench's
 * {@code alloc-bytes-per-op}. A thread that ends inside the window is not counted; the bench's threads all live
 * for the whole run. The meter's own reads allocate a few hundred bytes (the thread id arrays), once per window.
 */
final class AllocationMeter {
    private static final com.sun.management.ThreadMXBean THREADS = threads();

    private AllocationMeter() {
    }

    private static com.sun.management.ThreadMXBean threads() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported()) {
            if (!t.isThreadAllocatedMemoryEnabled()) {
                t.setThreadAllocatedMemoryEnabled(true);
            }
            return t;
        }
        return null;
    }

    /** The sum over all live threads of the bytes each has allocated so far, or -1 where the JVM cannot tell. */
    static long allocatedBytes() {
        if (THREADS == null) {
            return -1;
        }
        long sum = 0;
        for (long bytes : THREADS.getThreadAllocatedBytes(THREADS.getAllThreadIds())) {
            if (bytes > 0) { // -1: the thread ended between the two calls
                sum += bytes;
            }
        }
        return sum;
    }

    /** Bytes the calling thread has allocated so far, or -1 where the JVM cannot tell. */
    static long currentThreadBytes() {
        return THREADS == null ? -1 : THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    /** Bytes per request between two {@link #allocatedBytes()} readings, NaN if either is unknown or no requests. */
    static double perOp(long start, long end, long ops) {
        return start < 0 || end < 0 || ops == 0 ? Double.NaN : (double) (end - start) / ops;
    }
}
