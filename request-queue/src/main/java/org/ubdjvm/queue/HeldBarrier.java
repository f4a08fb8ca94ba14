package org.ubdjvm.queue;

import java.io.IOException;

/**
 * Work done at a barrier with the ring held: every request queued before it has completed and been flushed, and
 * nothing queued after it starts until {@link #atBarrier} returns. Submitters keep queueing meanwhile (up to the
 * ring's capacity), so a short action is a pause, not an error. This is the seed's "at the right time (after sync or
 * when 2.6 sends the barrier request) replacing the fd in the ubd structure".
 */
@FunctionalInterface
public interface HeldBarrier {
    /**
     * Runs on the ring's worker thread, which may block here (the engines complete on their own threads). An
     * exception fails this barrier's completion only; the ring goes on.
     */
    void atBarrier() throws IOException;

    /**
     * Whether the ring flushes after the drain and before {@link #atBarrier} (a FLUSH's barrier). An action that
     * flushes only what it needs, or later, says no: the hold then waits for the drain alone.
     */
    default boolean flushFirst() {
        return true;
    }

    /**
     * Told on the worker just before {@link #atBarrier}: how long the wait for the requests in flight took and how
     * long the ring's flush took (0 without one), for a caller that reports where a pause went.
     */
    default void drained(long drainNanos, long flushNanos) {
    }
}
