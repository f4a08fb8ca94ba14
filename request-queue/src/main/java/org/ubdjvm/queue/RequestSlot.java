package org.ubdjvm.queue;

import java.nio.ByteBuffer;

/** One preallocated ring entry. Written by one submitter, read by the worker, overwritten on the next lap. */
final class RequestSlot implements RequestRing.Request {
    RequestOp op;
    long offset;
    ByteBuffer buffer;
    RequestCompletion done;

    @Override
    public void set(RequestOp op, long offset, ByteBuffer buffer, RequestCompletion done) {
        this.op = op;
        this.offset = offset;
        this.buffer = buffer;
        this.done = done;
    }
}
