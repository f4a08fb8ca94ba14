package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

/**
 * How a layer reads, asks about and closes the layer below it: past the end of the layer below, a disk reads zeros
 * (spec 4.5).
 */
final class LayerBelow {
    private LayerBelow() {
    }

    /**
     * Reads the absolute indexes {@code [from, to)} of {@code dst} (the slice {@code part}) from {@code backing} at
     * {@code offset}. With a sector size larger than the backing's, the last sector of the layer above can reach
     * past the backing's last one; that part reads zeros.
     */
    static void read(BlockImage backing, long offset, ByteBuffer part, int from, int to, ByteBuffer dst, IoCompletion done) {
        long available = backing.capacity() - offset;
        if (available >= to - from) {
            backing.read(offset, part, done);
        } else if (available <= 0) {
            Zeros.fill(dst, from, to);
            done.done(to - from, null);
        } else {
            Zeros.fill(dst, from + (int) available, to);
            backing.read(offset, part.limit(from + (int) available), done);
        }
    }

    /** The run at {@code offset} as seen from the layer above: one deeper, zeros past the end of the layer below. */
    static Allocation allocation(BlockImage backing, long offset, long length) throws IOException {
        long available = backing.capacity() - offset;
        if (available <= 0) {
            return new Allocation(offset, length, Allocation.ZEROS);
        }
        return backing.allocation(offset, Math.min(length, available)).fromAbove();
    }

    /**
     * A layer's plug: its own engine, then the layers below. The whole stack usually shares one engine; plugging it
     * twice is harmless and keeps mixed stacks (an NBD base, an engine of its own) right.
     */
    static void plug(IoEngine engine, BlockImage below) {
        engine.plug();
        below.plug();
    }

    /** The reverse of {@link #plug}: the layers below first, then the layer's own engine. */
    static void unplug(IoEngine engine, BlockImage below) {
        below.unplug();
        engine.unplug();
    }

    /** A layer's cancel: its own engine's requests, then the layers below (one shared engine: the second finds none). */
    static int cancelOlderThan(IoEngine engine, BlockImage below, java.time.Duration age) {
        return engine.cancelOlderThan(age) + below.cancelOlderThan(age);
    }

    /**
     * Closes a layer: flushes it when writable (so close makes writes durable), then its file and the layers below,
     * all of them even when one fails; the first failure is thrown.
     */
    static void close(BlockImage layer, org.ubdjvm.hostio.HostFile file, BlockImage below) throws IOException {
        IOException failure = null;
        if (!file.readOnly()) {
            try {
                BlockIo.flush(layer);
            } catch (IOException e) {
                failure = e;
            }
        }
        failure = closeQuietly(file, failure);
        failure = closeQuietly(below, failure);
        if (failure != null) {
            throw failure;
        }
    }

    private static IOException closeQuietly(java.io.Closeable c, IOException earlier) {
        try {
            c.close();
            return earlier;
        } catch (IOException e) {
            return earlier != null ? earlier : e;
        }
    }
}
