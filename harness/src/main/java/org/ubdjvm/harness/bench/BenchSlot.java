package org.ubdjvm.harness.bench;

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
    /** Written before the release store of DONE, read after its acquire load: no extra fence needed. */
    long doneAt;
    IOException error;
    /**
     * The submitter's FREE and IN_FLIGHT are plain stores (handing the slot to the engine or ring orders them); only
     * the completer's DONE is a release store, read with acquire ({@link #done()}): on x86 neither is a fence, where a
     * volatile store is one, and the loop does three per request.
     */
    int state = FREE;

    private static final java.lang.invoke.VarHandle STATE;

    static {
        try {
            STATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(BenchSlot.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Submitter: the completion ran, and its doneAt and error are visible. */
    boolean done() {
        return (int) STATE.getAcquire(this) == DONE;
    }

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
        STATE.setRelease(this, DONE);
        pending.incrementAndGet();
        waiter.wake();
    }

    @Override
    public void completed(long result, IOException e) {
        done(result, e);
    }
}
