package org.ubdjvm.queue;

import java.nio.ByteBuffer;
import java.time.Duration;

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

    /**
     * The ring failed requests the host had not answered within {@code timeout} (they completed with
     * {@link RequestTimeoutException}): cancel what the host still holds for them. Called on the ring's timer
     * thread, once a tick while any of them has not come back from the host. The host's late answers are dropped.
     */
    default void cancelOverdue(Duration timeout) {
    }
}
