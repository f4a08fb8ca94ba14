package org.ubdjvm.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The ring's request timeout, as blk-mq's: a request the host has not answered after the timeout completes with
 * {@link RequestTimeoutException} and the handler is asked to cancel what it still holds; the ring goes on serving
 * the others.
 *
 * <p>One thread per ring scans the preallocated trackers at a coarse tick, rather than one {@code ScheduledFuture}
 * per request: scheduling and cancelling a future allocates and takes the scheduler's lock twice per request, while
 * the scan costs the hot path nothing at all (not even a clock read): a request's deadline starts at the first scan
 * that sees it, so it never times out early, and at most two ticks late. The scan is O(ring size) once a tick.
 */
final class RequestTimer implements AutoCloseable {
    private final String device;
    private final Duration timeout;
    private final long timeoutNanos;
    private final long tickNanos;
    private final AtomicReferenceArray<SlotTracker> trackers;
    private final RequestHandler handler;
    // Timer thread only (read racily by describe): per tracker index, the request last seen and when first seen.
    private final long[] seenStamp;
    private final long[] firstSeen;
    /** Requests failed here whose host answer has not come back: the handler is asked to cancel them each tick. */
    private final List<SlotTracker> overdue = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stopped;

    RequestTimer(String device, Duration timeout, AtomicReferenceArray<SlotTracker> trackers, RequestHandler handler) {
        this.device = device;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.tickNanos = tick(timeout).toNanos();
        this.trackers = trackers;
        this.handler = handler;
        this.seenStamp = new long[trackers.length()];
        this.firstSeen = new long[trackers.length()];
        this.thread = new Thread(this::run, "ring-" + device + "-timeout");
        thread.setDaemon(true);
        thread.start();
    }

    /** A tenth of the timeout, within 10 ms .. 1 s. */
    static Duration tick(Duration timeout) {
        long ms = Math.max(10, Math.min(1000, timeout.toMillis() / 10));
        return Duration.ofMillis(ms);
    }

    private void run() {
        while (!stopped) {
            LockSupport.parkNanos(this, tickNanos);
            if (!stopped) {
                scan(System.nanoTime());
            }
        }
    }

    private void scan(long now) {
        for (int i = 0; i < seenStamp.length; i++) {
            SlotTracker tracker = trackers.getAcquire(i);
            long stamp = tracker.armedStamp();
            if (stamp == 0) {
                seenStamp[i] = 0;
            } else if (stamp != seenStamp[i]) {
                seenStamp[i] = stamp;
                firstSeen[i] = now;
            } else if (now - firstSeen[i] >= timeoutNanos) {
                seenStamp[i] = 0;
                if (expire(tracker, stamp)) {
                    overdue.add(tracker);
                }
            }
        }
        overdue.removeIf(SlotTracker::answeredLate);
        if (!overdue.isEmpty()) {
            try {
                handler.cancelOverdue(timeout);
            } catch (RuntimeException e) {
                report(e); // a cancel that fails must not stop the timer of every later request
            }
        }
    }

    private boolean expire(SlotTracker tracker, long stamp) {
        try {
            return tracker.expire(stamp, device, timeout);
        } catch (RuntimeException e) {
            report(e); // the submitter's completion threw; the request is failed all the same
            return true;
        }
    }

    private static void report(Throwable t) {
        Thread.UncaughtExceptionHandler h = Thread.currentThread().getUncaughtExceptionHandler();
        if (h != null) {
            h.uncaughtException(Thread.currentThread(), t);
        }
    }

    /** The longest a request can be in flight before the timer fails it: the timeout and two ticks. */
    Duration bound() {
        return timeout.plusNanos(2 * tickNanos);
    }

    /** One line per request in flight: what it is and how long it has been seen (at most a tick less than its age). */
    String describe() {
        long now = System.nanoTime();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < seenStamp.length; i++) {
            String request = trackers.getAcquire(i).describe();
            if (request != null) {
                long seen = seenStamp[i] == 0 ? 0 : now - firstSeen[i];
                out.append(out.length() == 0 ? "" : "\n").append(device).append(": ").append(request)
                        .append(String.format(java.util.Locale.ROOT, ", in flight %.1f s or more", seen / 1e9));
            }
        }
        return out.toString();
    }

    @Override
    public void close() {
        stopped = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.NANOSECONDS.toMillis(tickNanos) + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
