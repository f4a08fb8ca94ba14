package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.ubdjvm.hostio.IoCompletion;

/**
 * A read handed to an engine with the caller's own buffer (no view of it made per request): zeros past a short read
 * (end of file, a hole past the end of a sparse file), the buffer's position put back where the caller had it (the
 * engine advanced it), then the caller's completion with the whole length. Reused through a {@link Recycler}.
 */
final class FilledRead implements IoCompletion {
    private final Recycler<FilledRead> home;
    private ByteBuffer dst;
    private int start;
    private int length;
    private IoCompletion done;

    FilledRead(Recycler<FilledRead> home) {
        this.home = home;
    }

    /** Arms this read for {@code dst} from its position to its limit. */
    FilledRead of(ByteBuffer dst, IoCompletion done) {
        this.dst = dst;
        this.start = dst.position();
        this.length = dst.remaining();
        this.done = done;
        return this;
    }

    @Override
    public void done(long n, IOException e) {
        ByteBuffer b = dst;
        int from = start;
        int len = length;
        IoCompletion d = done;
        dst = null;
        done = null;
        home.give(this); // before the caller's completion, which may start the next request
        if (e == null && n < len) {
            Zeros.fill(b, from + (int) n, from + len);
        }
        b.position(from);
        d.done(e == null ? len : 0, e);
    }
}
