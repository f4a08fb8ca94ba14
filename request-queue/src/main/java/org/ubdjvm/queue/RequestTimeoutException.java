package org.ubdjvm.queue;

import java.io.IOException;
import java.time.Duration;

/**
 * A request the host did not answer within the ring's request timeout (blk-mq's, 30 s by default). Its one-line
 * message names the device, the operation and the offset:
 * {@code ubda: read of 4096 bytes at offset 8192 timed out after 30 s: ETIMEDOUT (Connection timed out)}.
 */
public final class RequestTimeoutException extends IOException {
    private final RequestOp op;
    private final long offset;

    RequestTimeoutException(String device, RequestOp op, long offset, long length, Duration timeout) {
        // The errno text is glibc's; this module knows no host errno table (it knows nothing of files).
        super(device + ": " + describe(op, offset, length) + " timed out after " + human(timeout)
                + ": ETIMEDOUT (Connection timed out)");
        this.op = op;
        this.offset = offset;
    }

    public RequestOp op() {
        return op;
    }

    public long offset() {
        return offset;
    }

    /** {@code read of 4096 bytes at offset 8192}, {@code flush}. */
    static String describe(RequestOp op, long offset, long length) {
        String verb = op.name().toLowerCase(java.util.Locale.ROOT);
        return op == RequestOp.FLUSH ? verb : verb + " of " + length + " bytes at offset " + offset;
    }

    /** {@code 30 s}, {@code 1500 ms}. */
    static String human(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
