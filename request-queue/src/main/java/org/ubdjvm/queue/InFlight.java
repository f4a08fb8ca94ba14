package org.ubdjvm.queue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Requests started and not completed. Completions decrement from any thread without a lock; only the worker ever
 * waits, so a single parked-thread field is enough to wake it.
 */
final class InFlight {
    private final AtomicInteger count = new AtomicInteger();
    private volatile Thread waiter;

    void started() {
        count.incrementAndGet();
    }

    void finished() {
        count.decrementAndGet();
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    int count() {
        return count.get();
    }

    /** Worker only: returns when at most {@code limit} requests are in flight. */
    void awaitAtMost(int limit) {
        if (count.get() <= limit) {
            return;
        }
        waiter = Thread.currentThread();
        try {
            while (count.get() > limit) {
                // bounded park: a completion that decremented before 'waiter' was set cannot strand the worker
                LockSupport.parkNanos(this, 1_000_000L);
            }
        } finally {
            waiter = null;
        }
    }
}
