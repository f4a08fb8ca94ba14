package org.ubdjvm.queue;

import java.nio.ByteBuffer;

/** One preallocated ring entry. Written by one submitter, read by the worker, overwritten on the next lap. */
final class RequestSlot implements RequestRing.Request {
    RequestOp op;
    long offset;
    long length;
    ByteBuffer buffer;
    RequestCompletion done;
    /** Set only on a FLUSH queued by {@link RequestRing#submitHeld}; the worker runs it with the ring held. */
    HeldBarrier held;

    @Override
    public void set(RequestOp op, long offset, ByteBuffer buffer, RequestCompletion done) {
        this.op = op;
        this.offset = offset;
        this.length = buffer == null ? 0 : buffer.remaining();
        this.buffer = buffer;
        this.done = done;
        this.held = null;
    }

    void setHeld(HeldBarrier held, RequestCompletion done) {
        set(RequestOp.FLUSH, 0, null, done);
        this.held = held;
    }

    void setDiscard(long offset, long length, RequestCompletion done) {
        this.op = RequestOp.DISCARD;
        this.offset = offset;
        this.length = length;
        this.buffer = null;
        this.done = done;
        this.held = null;
    }
}
