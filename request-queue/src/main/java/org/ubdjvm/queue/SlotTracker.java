package org.ubdjvm.queue;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * The completion the worker hands to the host for the request in one ring slot, preallocated so the hot path
 * allocates nothing. It is reused for the slot's next request only after this one completed ({@link #busy()}).
 *
 * <p>The request timeout may fail a request before the host answers. The tracker is then retired for good: the
 * worker puts a fresh one in its place, and the host's late answer, which still arrives here, is dropped, so it can
 * never complete a later request. Who reports the outcome is settled by one compare-and-set on {@link #state}, which
 * carries the request's ring sequence above its phase, so the timer cannot fail a request that replaced the one it
 * looked at.
 */
final class SlotTracker implements RequestCompletion {
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(SlotTracker.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int PHASE_BITS = 3;
    private static final long PHASE = (1 << PHASE_BITS) - 1;
    private static final long IDLE = 0;
    private static final long ARMED = 1;
    private static final long COMPLETING = 2;
    /** Failed by the timer; the host has not answered yet. */
    private static final long EXPIRED = 3;
    /** Failed by the timer, and the host's answer came and was dropped. */
    private static final long ANSWERED_LATE = 4;

    private final InFlight inFlight;
    private RequestCompletion done;
    // What the request is, for the timeout message and the in-flight dump; written before the state's release.
    private RequestOp op;
    private long offset;
    private long length;
    @SuppressWarnings("unused") // through STATE
    private long state;

    SlotTracker(InFlight inFlight) {
        this.inFlight = inFlight;
    }

    private long state() {
        return (long) STATE.getAcquire(this);
    }

    /** Worker only: the slot's tracker still carries an earlier request. */
    boolean busy() {
        long phase = state() & PHASE;
        return phase == ARMED || phase == COMPLETING;
    }

    /** The timer failed this tracker's request: it must not be armed again. */
    boolean retired() {
        return (state() & PHASE) >= EXPIRED;
    }

    /** Retired, and the host has answered since: nothing is left to cancel. */
    boolean answeredLate() {
        return (state() & PHASE) == ANSWERED_LATE;
    }

    /** Worker only. The host and the timer see these writes: the release orders them before the new state. */
    void arm(long sequence, RequestOp requestOp, long requestOffset, long requestLength, RequestCompletion requestDone) {
        done = requestDone;
        op = requestOp;
        offset = requestOffset;
        length = requestLength;
        STATE.setRelease(this, sequence << PHASE_BITS | ARMED);
        inFlight.started();
    }

    /** The request in flight as a stamp that changes with every request (0 when none): the timer's "seen before". */
    long armedStamp() {
        long s = state();
        return (s & PHASE) == ARMED ? s : 0;
    }

    @Override
    public void completed(long result, IOException error) {
        long s = state();
        if ((s & PHASE) != ARMED || !STATE.compareAndSet(this, s, s - ARMED + COMPLETING)) {
            dropLateAnswer();
            return;
        }
        RequestCompletion d = done;
        done = null;
        try {
            d.completed(result, error);
        } finally {
            // Release after the submitter's completion ran: a flush waiting for the count must not overtake it,
            // and the worker must not re-arm this tracker before 'done' was read.
            STATE.setRelease(this, s - ARMED + IDLE);
            inFlight.finished();
        }
    }

    private void dropLateAnswer() {
        long s = state();
        if ((s & PHASE) == EXPIRED && STATE.compareAndSet(this, s, s - EXPIRED + ANSWERED_LATE)) {
            return; // the guest was told ETIMEDOUT already
        }
        throw new IllegalStateException("a request completed twice (tracker phase " + (s & PHASE) + ")");
    }

    /**
     * Timer only: fails the request stamped {@code stamp} with ETIMEDOUT, unless it completed or another replaced it
     * meanwhile. The fields are read before the compare-and-set; it succeeding proves they were this request's,
     * since the worker only rewrites them once the state has moved on.
     */
    boolean expire(long stamp, String device, Duration timeout) {
        RequestCompletion d = done;
        RequestOp o = op;
        long off = offset;
        long len = length;
        if (!STATE.compareAndSet(this, stamp, stamp - ARMED + EXPIRED)) {
            return false;
        }
        done = null;
        try {
            d.completed(0, new RequestTimeoutException(device, o, off, len, timeout));
        } finally {
            inFlight.finished();
        }
        return true;
    }

    /** {@code read of 4096 bytes at offset 8192} while armed, else null. Racy by design: for dumps only. */
    String describe() {
        RequestOp o = op;
        long off = offset;
        long len = length;
        return (state() & PHASE) == ARMED && o != null ? RequestTimeoutException.describe(o, off, len) : null;
    }
}
