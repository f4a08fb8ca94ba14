package org.ubdjvm.queue;

import java.nio.ByteBuffer;

/**
 * The host side of a ring: starts requests and completes them later, from any thread. Called only from the ring's
 * worker thread. The ring does the ordering: the handler never sees a FLUSH while earlier requests are in flight, and
 * sees nothing after a FLUSH until that FLUSH completed.
 */
public interface RequestHandler {
    /** @param length bytes: the buffer's remaining() for reads and writes, the range for a discard, 0 for a flush */
    void start(RequestOp op, long offset, long length, ByteBuffer buffer, RequestCompletion done);

    /** The worker drained a batch: push everything started since the last call to the host in one go. */
    default void endOfBatch() {
    }
}
