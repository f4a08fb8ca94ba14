package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.ubdjvm.hostio.IoCompletion;

/**
 * A write handed to an engine with the caller's own buffer (no view of it made per request): the engine advanced
 * the buffer's position; this puts it back before the caller's completion runs, so the caller sees its buffer as it
 * gave it. Reused through a {@link Recycler}.
 */
final class BufferKept implements IoCompletion {
    private final Recycler<BufferKept> home;
    private ByteBuffer buffer;
    private int start;
    private IoCompletion done;

    BufferKept(Recycler<BufferKept> home) {
        this.home = home;
    }

    BufferKept of(ByteBuffer buffer, IoCompletion done) {
        this.buffer = buffer;
        this.start = buffer.position();
        this.done = done;
        return this;
    }

    @Override
    public void done(long n, IOException e) {
        ByteBuffer b = buffer;
        int from = start;
        IoCompletion d = done;
        buffer = null;
        done = null;
        home.give(this); // before the caller's completion, which may start the next request
        b.position(from);
        d.done(n, e);
    }
}
