package org.ubdjvm.queue;

import com.lmax.disruptor.EventHandler;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The ring's single consumer. Starts requests in ring order, lets the handler push a whole batch to the host at
 * {@code endOfBatch}, and enforces barriers: a FLUSH starts only when every earlier request has completed, and
 * nothing after it starts until it has completed. That is the 2.6 barrier the seed wants to sync on.
 *
 * <p>Nothing is allocated per request: each ring slot has a preallocated {@link SlotTracker}. A tracker whose request
 * timed out is retired (its host may still answer into it) and replaced here, the one allocation, on the worker.
 */
final class RingWorker implements EventHandler<RequestSlot> {
    private final RequestHandler handler;
    private final InFlight inFlight;
    private final int maxInFlight;
    /** Written by this worker only (replacing retired trackers); read by the timer. */
    private final AtomicReferenceArray<SlotTracker> trackers;
    private final int mask;

    RingWorker(RequestHandler handler, InFlight inFlight, int maxInFlight, AtomicReferenceArray<SlotTracker> trackers) {
        this.handler = handler;
        this.inFlight = inFlight;
        this.maxInFlight = maxInFlight;
        this.trackers = trackers;
        this.mask = trackers.length() - 1;
    }

    /** A ring of idle trackers for {@code size} slots. */
    static AtomicReferenceArray<SlotTracker> trackers(int size, InFlight inFlight) {
        AtomicReferenceArray<SlotTracker> t = new AtomicReferenceArray<>(size);
        for (int i = 0; i < size; i++) {
            t.set(i, new SlotTracker(inFlight));
        }
        return t;
    }

    /** The tracker of the slot of {@code sequence}; a retired one is replaced first, so it is never armed again. */
    private SlotTracker trackerFor(long sequence) {
        int i = (int) (sequence & mask);
        SlotTracker t = trackers.getPlain(i);
        if (t.retired()) {
            t = new SlotTracker(inFlight);
            trackers.setRelease(i, t); // the timer reads it with acquire: sees an idle tracker
        }
        return t;
    }

    private final CountDownLatch started = new CountDownLatch(1);

    @Override
    public void onStart() {
        inFlight.bindWorker();
        started.countDown();
    }

    /**
     * Waits until the worker thread runs. Disruptor's shutdown only waits for consumers that are running, so a ring
     * closed before its worker started would halt it with requests never processed.
     */
    void awaitStarted() {
        awaitUninterruptibly(started);
    }

    @Override
    public void onEvent(RequestSlot slot, long sequence, boolean endOfBatch) {
        RequestOp op = slot.op;
        long offset = slot.offset;
        long length = slot.length;
        java.nio.ByteBuffer buffer = slot.buffer;
        RequestCompletion done = slot.done;
        HeldBarrier held = slot.held;
        // No clearing: a write here would pull the slot's cache line back from the submitter's core on every
        // request; the next lap overwrites it, so at most one ring of buffers stays reachable.
        if (held != null) {
            slot.held = null; // once: a later lap's plain FLUSH must not run it again
            heldBarrier(sequence, held, done);
        } else if (op == RequestOp.FLUSH) {
            barrier(sequence, done);
        } else {
            SlotTracker tracker = trackerFor(sequence);
            if (inFlight.count() >= maxInFlight || tracker.busy()) {
                handler.endOfBatch(); // what we started must reach the host before we can wait for it
                inFlight.awaitAtMost(maxInFlight - 1);
                inFlight.awaitIdle(tracker); // a request a whole ring ago may still hold this slot's tracker
                tracker = trackerFor(sequence); // ... or have timed out meanwhile, retiring it
            }
            start(tracker, sequence, op, offset, length, buffer, done);
        }
        if (endOfBatch) {
            handler.endOfBatch();
        }
    }

    private void start(SlotTracker tracker, long sequence, RequestOp op, long offset, long length,
                       java.nio.ByteBuffer buffer, RequestCompletion done) {
        tracker.arm(sequence, op, offset, length, done);
        try {
            handler.start(op, offset, length, buffer, tracker);
        } catch (RuntimeException e) {
            tracker.completed(0, new IOException("request failed to start: " + e, e));
        }
    }

    /** Waits without a bound of its own: every request it waits for completes or times out (the ring's timer). */
    private void barrier(long sequence, RequestCompletion done) {
        drain();
        flush(sequence, done);
    }

    private void drain() {
        handler.endOfBatch();
        inFlight.awaitAtMost(0);
    }

    private void flush(long sequence, RequestCompletion done) {
        CountDownLatch flushed = new CountDownLatch(1);
        start(trackerFor(sequence), sequence, RequestOp.FLUSH, 0, 0, null, (r, e) -> {
            try {
                done.completed(r, e);
            } finally {
                flushed.countDown();
            }
        });
        handler.endOfBatch();
        awaitUninterruptibly(flushed);
    }

    /**
     * A barrier whose action runs on this thread after the flush: nothing later starts until it returns, which is
     * what makes a switch of the image under the ring exact. The pause reported counts from here, the drain included.
     */
    private void heldBarrier(long sequence, HeldBarrier held, RequestCompletion done) {
        long reached = System.nanoTime();
        drain();
        long drained = System.nanoTime();
        long flushed = drained;
        if (held.flushFirst()) {
            IOException[] flushError = new IOException[1];
            flush(sequence, (r, e) -> flushError[0] = e); // the latch in flush() publishes the write to us
            if (flushError[0] != null) {
                done.completed(0, flushError[0]);
                return;
            }
            flushed = System.nanoTime();
        }
        try {
            held.drained(drained - reached, flushed - drained);
            held.atBarrier();
        } catch (IOException e) {
            done.completed(0, e);
            return;
        } catch (RuntimeException e) {
            done.completed(0, new IOException("barrier action failed: " + e, e));
            return;
        }
        done.completed(System.nanoTime() - reached, null);
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
