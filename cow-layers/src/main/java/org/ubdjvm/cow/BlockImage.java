package org.ubdjvm.cow;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.IoCompletion;

/**
 * One virtual disk, whatever stack of files is behind it. This is all the driver ever sees
 * ("COW lives strictly below the driver as a single-file abstraction").
 *
 * <p>Requests are sector-aligned: {@code offset} and {@code buffer.remaining()} (or {@code length}) are multiples of
 * {@link #sectorSize()} and lie within {@link #capacity()}; writes and discards need a writable image. An image from
 * {@link FormatTable#open} checks this for every format before the format sees the request (the format's own code
 * may rely on it): a bad request completes with an {@link ImageException} naming the file, the offset and the reason,
 * and touches nothing. A request uses its buffer from position to limit and leaves the caller's position and limit
 * as they were when its completion runs; until then the buffer object is the request's (layers hand it down as it is
 * rather than a view made per request, and the engine moves its position), so two requests in flight never share
 * one buffer object. Completions may run on any thread, including the caller's before the method returns.
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

    /**
     * The run that starts at {@code offset}: at most {@code length} bytes over which one layer of the stack holds
     * every sector (see {@link Allocation#depth()}), as long as the image knows without reading data; the run need
     * not be the longest such (the next may have the same depth). Call it again from the run's end for the next one,
     * or use {@link #allocationMap}. Same alignment and range rules as a read,
     * and {@code length} must be positive; the run's length is a positive multiple of {@link #sectorSize()}.
     *
     * <p>The answer describes completed writes and discards; one racing with this call may or may not be seen. A
     * sector of this layer that mixes several layers below (possible only when this layer's sectors are larger than
     * theirs) is reported as held by the uppermost of them that holds any of it. This call may block on metadata
     * I/O (a remote layer); do not call it from a completion.
     *
     * @throws ImageException a bad range, named with the file and the reason
     */
    Allocation allocation(long offset, long length) throws IOException;

    /**
     * Every run of {@code [offset, offset + length)} in order, by repeated {@link #allocation} calls, adjacent runs
     * of the same depth merged into one.
     */
    default List<Allocation> allocationMap(long offset, long length) throws IOException {
        List<Allocation> runs = new ArrayList<>();
        long at = offset;
        long end = offset + length;
        while (at < end) {
            Allocation run = allocation(at, end - at);
            Allocation last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && last.depth() == run.depth()) {
                runs.set(runs.size() - 1, new Allocation(last.offset(), last.length() + run.length(), run.depth()));
            } else {
                runs.add(run);
            }
            at = run.end();
        }
        return runs;
    }

    /**
     * The calling thread starts a batch: the requests it issues until {@link #unplug()} may be held and reach the
     * host together, in one system call where the engine can (the kernel's {@code blk_plug}). Completions may still
     * run meanwhile. Every layer forwards this to what lies below it, so a caller batches without knowing which
     * engines carry the stack. Calls do not nest: one {@code unplug()} ends the batch.
     */
    void plug();

    /** Ends the calling thread's batch: everything it issued since {@link #plug()} is on its way to the host. */
    void unplug();

    /**
     * Gives up on the host requests this layer and the layers below have had in flight for at least {@code age}
     * (the engine's {@code cancelOlderThan}): they complete with ECANCELED, which the image passes up like any host
     * error, and the kernel is asked to drop them. For a caller whose own deadline passed, such as the driver's
     * request timeout, which knows no engine. Returns how many were given up on.
     */
    int cancelOlderThan(Duration age);

    /** This layer's own file, for commit and rebase; null for a layer without a backing file (raw). */
    default LayerFile layerFile() {
        return null;
    }

    /** What this layer is and what lies below it. */
    ImageInfo info() throws IOException;

    /** Flushes (if writable) and closes this layer and every layer below it. */
    @Override
    void close() throws IOException;
}
