package org.ubdjvm.harness;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.queue.RequestCompletion;

/**
 * One request slot of a {@link BenchLoop}: its own aligned direct buffer and the completion the engine or the ring
 * calls, preallocated so the timed loop allocates nothing per request. It serves both completion interfaces so the
 * engine and the stack benchmarks share one loop.
 *
 * <p>The completing thread only stamps the time and hands the slot back; latency is recorded by the submitter, so
 * the histogram has one writer whatever thread completes.
 */
final class BenchSlot implements IoCompletion, RequestCompletion {
    static final int FREE = 0;
    static final int IN_FLIGHT = 1;
    static final int DONE = 2;

    final int index;
    final ByteBuffer buffer;
    private final AtomicInteger pending;
    private final BenchLoop.Waiter waiter;
    long startedAt;
    /** Written before {@link #state}'s volatile write, read after its volatile read: no extra fence needed. */
    long doneAt;
    IOException error;
    volatile int state = FREE;

    BenchSlot(int index, ByteBuffer buffer, AtomicInteger pending, BenchLoop.Waiter waiter) {
        this.index = index;
        this.buffer = buffer;
        this.pending = pending;
        this.waiter = waiter;
    }

    @Override
    public void done(long result, IOException e) {
        doneAt = System.nanoTime();
        error = e;
        state = DONE;
        pending.incrementAndGet();
        waiter.wake();
    }

    @Override
    public void completed(long result, IOException e) {
        done(result, e);
    }
}
