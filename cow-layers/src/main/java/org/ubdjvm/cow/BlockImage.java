package org.ubdjvm.cow;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.ubdjvm.hostio.IoCompletion;

/**
 * One virtual disk, whatever stack of files is behind it. This is all the driver ever sees
 * ("COW lives strictly below the driver as a single-file abstraction").
 *
 * <p>Requests are sector-aligned: {@code offset} and {@code buffer.remaining()} are multiples of
 * {@link #sectorSize()} and lie within {@link #capacity()}. A bad request completes with an {@link ImageException}
 * and touches nothing. A request uses its buffer from position to limit and leaves the caller's position and limit
 * as they were. Completions may run on any thread.
 */
public interface BlockImage extends Closeable {
    /** Exact size in bytes (a raw backing of 263780 bytes has size 263780). */
    long size();

    int sectorSize();

    /** Bytes the guest can address: {@link #size()} rounded up to a whole sector; the tail past size reads zero. */
    default long capacity() {
        long ss = sectorSize();
        return (size() + ss - 1) / ss * ss;
    }

    boolean readOnly();

    /** Fills {@code dst} from {@code offset}; completes with the bytes read. */
    void read(long offset, ByteBuffer dst, IoCompletion done);

    /** Writes all of {@code src} at {@code offset}. Completion means later reads see the data; not that it is durable. */
    void write(long offset, ByteBuffer src, IoCompletion done);

    /**
     * Discards {@code [offset, offset + length)}: afterwards it reads as zeros (not as the layer below: a discarded
     * COW sector is allocated as a hole). Same alignment and range rules as a write.
     */
    void discard(long offset, long length, IoCompletion done);

    /** Completes when every write completed before this call is durable on the host, metadata included. */
    void flush(IoCompletion done);

    /** What this layer is and what lies below it. */
    ImageInfo info() throws IOException;

    /** Flushes (if writable) and closes this layer and every layer below it. */
    @Override
    void close() throws IOException;
}
