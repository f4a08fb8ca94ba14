package org.ubdjvm.queue;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Requests started and not completed. The worker counts starts in a plain field; completions on the worker's own
 * thread (a synchronous host) are counted in another plain field, and only completions from other threads pay for
 * an atomic add. Only the worker ever waits, so one parked-thread field is enough to wake it.
 */
final class InFlight {
    private final AtomicLong completedElsewhere = new AtomicLong();
    private long started;
    private long completedHere;
    private volatile Thread worker;
    private volatile boolean waiting;

    /** Worker only, once, before the first start. */
    void bindWorker() {
        worker = Thread.currentThread();
    }

    /** Worker only. */
    void started() {
        started++;
    }

    /** Any thread. */
    void finished() {
        if (Thread.currentThread() == worker) {
            completedHere++;
            return;
        }
        completedElsewhere.incrementAndGet();
        if (waiting) {
            LockSupport.unpark(worker);
        }
    }

    /** Worker only (or after the worker stopped). */
    long count() {
        return started - completedHere - completedElsewhere.get();
    }

    /**
     * Worker only: returns when {@code tracker} is free. Waits on the tracker itself, not on a count: a count read
     * after the tracker's request completed would wait for one more completion that may never come.
     */
    void awaitIdle(SlotTracker tracker) {
        if (!tracker.busy()) {
            return;
        }
        waiting = true;
        try {
            while (tracker.busy()) {
                LockSupport.parkNanos(this, 1_000_000L); // the completion unparks us after releasing the tracker
            }
        } finally {
            waiting = false;
        }
    }

    /** Worker only: returns when at most {@code limit} requests are in flight (the ring's timer bounds the wait). */
    void awaitAtMost(long limit) {
        awaitAtMost(limit, Long.MAX_VALUE);
    }

    /** Returns when at most {@code limit} requests are in flight, or after {@code nanos}; true in the first case. */
    boolean awaitAtMost(long limit, long nanos) {
        if (count() <= limit) {
            return true;
        }
        long start = System.nanoTime();
        waiting = true;
        try {
            while (count() > limit) {
                if (System.nanoTime() - start > nanos) {
                    return false;
                }
                // bounded park: a completion that looked at 'waiting' just before it was set cannot strand us
                LockSupport.parkNanos(this, 1_000_000L);
            }
            return true;
        } finally {
            waiting = false;
        }
    }
}
