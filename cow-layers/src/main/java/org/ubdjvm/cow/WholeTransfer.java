package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.ubdjvm.hostio.IoCompletion;

/**
 * A read or write handed to an engine with the caller's own buffer (no view of it made per request): zeros past a
 * short read (end of file, a hole past the end of a sparse file), the buffer's position put back where the caller
 * had it (the engine advanced it), then the caller's completion with the whole length. Reused through a
 * {@link Recycler}, so the request allocates nothing.
 */
final class WholeTransfer implements IoCompletion {
    private final Recycler<WholeTransfer> home;
    private ByteBuffer buffer;
    private int start;
    private int length;
    /** A read: what the file did not have reads as zeros. */
    private boolean fill;
    private IoCompletion done;

    WholeTransfer(Recycler<WholeTransfer> home) {
        this.home = home;
    }

    /** Arms this for a read into {@code dst} from its position to its limit. */
    WholeTransfer ofRead(ByteBuffer dst, IoCompletion done) {
        return of(dst, true, done);
    }

    /** Arms this for a write of {@code src} from its position to its limit. */
    WholeTransfer ofWrite(ByteBuffer src, IoCompletion done) {
        return of(src, false, done);
    }

    private WholeTransfer of(ByteBuffer b, boolean read, IoCompletion d) {
        this.buffer = b;
        this.start = b.position();
        this.length = b.remaining();
        this.fill = read;
        this.done = d;
        return this;
    }

    @Override
    public void done(long n, IOException e) {
        ByteBuffer b = buffer;
        int from = start;
        int len = length;
        boolean zeros = fill && e == null && n < len;
        IoCompletion d = done;
        buffer = null;
        done = null;
        home.give(this); // before the caller's completion, which may start the next request
        if (zeros) {
            Zeros.fill(b, from + (int) n, from + len);
        }
        b.position(from);
        d.done(e == null ? len : 0, e);
    }
}
