package org.ubdjvm.queue;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The completion the worker hands to the host for the request in one ring slot, preallocated so the hot path
 * allocates nothing. It is reused for the slot's next request only after this one completed ({@link #busy()}).
 */
final class SlotTracker implements RequestCompletion {
    private static final VarHandle BUSY;

    static {
        try {
            BUSY = MethodHandles.lookup().findVarHandle(SlotTracker.class, "busy", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final InFlight inFlight;
    private RequestCompletion done;
    @SuppressWarnings("unused") // through BUSY
    private boolean busy;

    SlotTracker(InFlight inFlight) {
        this.inFlight = inFlight;
    }

    /** Worker only: the slot's tracker still carries an earlier request. */
    boolean busy() {
        return (boolean) BUSY.getAcquire(this);
    }

    /** Worker only. The host sees these writes: handing the tracker to it happens after them. */
    void arm(RequestCompletion requestDone) {
        done = requestDone;
        busy = true;
        inFlight.started();
    }

    @Override
    public void completed(long result, IOException error) {
        RequestCompletion d = done;
        done = null;
        try {
            d.completed(result, error);
        } finally {
            // Release after the submitter's completion ran: a flush waiting for the count must not overtake it,
            // and the worker must not re-arm this tracker before 'done' was read.
            BUSY.setRelease(this, false);
            inFlight.finished();
        }
    }
}
