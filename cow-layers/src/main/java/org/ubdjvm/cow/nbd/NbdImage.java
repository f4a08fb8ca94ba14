package org.ubdjvm.cow.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.cow.Join;
import org.ubdjvm.cow.WaitLimit;
import org.ubdjvm.cow.Zeros;
import org.ubdjvm.hostio.Errno;
import org.ubdjvm.hostio.IoCompletion;

/**
 * An NBD export as a disk (qemu's {@code block/nbd.c}): each request becomes one or more NBD commands of at most the
 * export's maximum payload, pipelined over one {@link NbdConnection}. The sector size is the export's minimum block
 * size, at least 512. Bytes past the export's size in its last sector read as zeros and are not sent.
 */
final class NbdImage implements BlockImage {
    /** WRITE_ZEROES needs no payload; keep each well inside the 32-bit length. */
    private static final int MAX_ZEROES = 1 << 30;

    private final Path name;
    private final NbdUri uri;
    private final NbdConnection connection;
    private final NbdExport export;
    private final boolean readOnly;
    private final boolean syncWrites;
    private final int sectorSize;
    /** Largest read or write per command: the maximum payload in whole sectors. */
    private final int maxChunk;
    private ByteBuffer zeros;

    NbdImage(Path name, NbdUri uri, NbdConnection connection, boolean readOnly, boolean syncWrites) {
        this.name = name;
        this.uri = uri;
        this.connection = connection;
        this.export = connection.export();
        this.readOnly = readOnly;
        this.syncWrites = syncWrites;
        this.sectorSize = Math.max(512, export.minimumBlock());
        this.maxChunk = Math.max(sectorSize, export.maximumPayload() / sectorSize * sectorSize);
    }

    @Override
    public long size() {
        return export.size();
    }

    @Override
    public int sectorSize() {
        return sectorSize;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer dst, IoCompletion done) {
        int inside = (int) Math.min(dst.remaining(), size() - offset);
        Zeros.fill(dst, dst.position() + inside, dst.limit());
        transfer(NbdWire.CMD_READ, 0, offset, dst, done, "read");
    }

    /** Bytes past the export's size, in its last sector, are dropped: the export has nowhere to keep them. */
    @Override
    public void write(long offset, ByteBuffer src, IoCompletion done) {
        boolean fua = syncWrites && export.has(NbdWire.FLAG_SEND_FUA);
        transfer(NbdWire.CMD_WRITE, fua ? NbdWire.CMD_FLAG_FUA : 0, offset, src,
                syncWrites && !fua ? flushAfter(done) : done, "write");
    }

    /** A read into or a write from {@code buf}, the part inside the export, in commands of at most maxChunk. */
    private void transfer(int type, int flags, long offset, ByteBuffer buf, IoCompletion done, String verb) {
        int length = buf.remaining();
        int start = buf.position();
        int inside = (int) Math.min(length, size() - offset);
        String what = verb + " of " + length + " bytes at offset " + offset;
        Join join = new Join(done, length);
        for (int at = 0; at < inside; at += maxChunk) {
            int n = Math.min(maxChunk, inside - at);
            ByteBuffer part = buf.duplicate().limit(start + at + n).position(start + at);
            join.fork();
            boolean read = type == NbdWire.CMD_READ;
            connection.submit(new NbdCommand(type, flags, offset + at, n, read ? null : part, read ? part : null,
                    join, what));
        }
        join.arm();
    }

    /**
     * Afterwards the range must read zeros, which NBD_CMD_TRIM does not promise: so NBD_CMD_WRITE_ZEROES without
     * NO_HOLE (the server may punch a hole, as a trim would), or plain writes of zeros when the export has none.
     */
    @Override
    public void discard(long offset, long length, IoCompletion done) {
        long inside = Math.min(length, size() - offset);
        String what = "discard of " + length + " bytes at offset " + offset;
        boolean fua = syncWrites && export.has(NbdWire.FLAG_SEND_FUA);
        Join join = new Join(syncWrites && !fua ? flushAfter(done) : done, 0);
        boolean writeZeroes = export.has(NbdWire.FLAG_SEND_WRITE_ZEROES);
        int chunk = writeZeroes ? MAX_ZEROES / sectorSize * sectorSize : maxChunk;
        for (long at = 0; at < inside; at += chunk) {
            int n = (int) Math.min(chunk, inside - at);
            join.fork();
            int flags = fua ? NbdWire.CMD_FLAG_FUA : 0;
            connection.submit(writeZeroes
                    ? new NbdCommand(NbdWire.CMD_WRITE_ZEROES, flags, offset + at, n, null, null, join, what)
                    : new NbdCommand(NbdWire.CMD_WRITE, flags, offset + at, n, zeros(n), null, join, what));
        }
        join.arm();
    }

    private synchronized ByteBuffer zeros(int n) {
        if (zeros == null) {
            zeros = ByteBuffer.allocateDirect(maxChunk).asReadOnlyBuffer();
        }
        return zeros.duplicate().limit(n);
    }

    /** The {@code s} flag on an export without FUA: each write is followed by a flush before it completes. */
    private IoCompletion flushAfter(IoCompletion done) {
        return (n, e) -> {
            if (e != null) {
                done.done(0, e);
            } else {
                flush((m, f) -> done.done(f == null ? n : 0, f));
            }
        };
    }

    /** NBD_CMD_FLUSH; an export that does not take it (no NBD_FLAG_SEND_FLUSH) has no cache to flush. */
    @Override
    public void flush(IoCompletion done) {
        if (!export.has(NbdWire.FLAG_SEND_FLUSH)) {
            done.done(0, null);
            return;
        }
        connection.submit(new NbdCommand(NbdWire.CMD_FLUSH, 0, 0, 0, null, null, done, "flush"));
    }

    /**
     * NBD_CMD_BLOCK_STATUS over {@code base:allocation} when the server gave that context: a hole that reads zeros
     * is held by no layer ({@link Allocation#ZEROS}, which {@code convert} skips); anything else is this layer's.
     * Without the context every byte is this layer's, as for a raw file.
     */
    @Override
    public Allocation allocation(long offset, long length) throws IOException {
        if (export.allocationContext() < 0) {
            return new Allocation(offset, length, 0);
        }
        long inside = Math.min(length, size() - offset);
        int ask = (int) Math.min(inside, MAX_ZEROES);
        String what = "block status of " + length + " bytes at offset " + offset;
        CompletableFuture<NbdCommand> reply = new CompletableFuture<>();
        NbdCommand[] sent = new NbdCommand[1];
        sent[0] = new NbdCommand(NbdWire.CMD_BLOCK_STATUS, NbdWire.CMD_FLAG_REQ_ONE, offset, ask, null, null,
                (n, e) -> {
                    if (e != null) {
                        reply.completeExceptionally(e);
                    } else {
                        reply.complete(sent[0]);
                    }
                }, what);
        connection.submit(sent[0]);
        NbdCommand answered = await(reply, what);
        long extent = Math.min(answered.extentLength, ask);
        if (extent == 0) {
            return new Allocation(offset, length, 0); // no descriptor for our context: say data, which is always safe
        }
        long end = offset + extent;
        if (end >= size()) {
            end = offset + length; // the tail of the last sector past the export reads zeros anyway
        } else {
            end = end / sectorSize * sectorSize;
            if (end == offset) {
                return new Allocation(offset, sectorSize, 0); // a sector that mixes extents holds data
            }
        }
        int flags = answered.extentFlags;
        boolean zeroHole = (flags & NbdWire.STATE_HOLE) != 0 && (flags & NbdWire.STATE_ZERO) != 0;
        return new Allocation(offset, end - offset, zeroHole ? Allocation.ZEROS : 0);
    }

    private NbdCommand await(CompletableFuture<NbdCommand> reply, String what) throws IOException {
        Duration limit = WaitLimit.DEFAULT.timeout();
        try {
            return reply.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new ImageException(name, what + " did not complete in " + NbdConnection.seconds(limit) + ": "
                    + Errno.describe(Errno.ETIMEDOUT));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException(name, what + ": interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new ImageException(name, what + ": " + e.getCause(), e);
        }
    }

    @Override
    public void plug() {
        connection.plug();
    }

    @Override
    public void unplug() {
        connection.unplug();
    }

    @Override
    public int cancelOlderThan(Duration age) {
        return connection.dropOlderThan(age);
    }

    @Override
    public ImageInfo info() {
        Map<String, Object> specific = new LinkedHashMap<>();
        specific.put("uri", uri.toString());
        specific.put("export", uri.export());
        specific.put("negotiated-with", export.viaGo() ? "NBD_OPT_GO" : "NBD_OPT_EXPORT_NAME");
        specific.put("block-size-minimum", export.minimumBlock());
        specific.put("block-size-preferred", export.preferredBlock());
        specific.put("block-size-maximum", export.maximumPayload());
        specific.put("structured-replies", export.structuredReplies());
        specific.put("base-allocation", export.allocationContext() >= 0);
        specific.put("export-read-only", export.readOnly());
        return new ImageInfo(name, NbdFormat.NAME, size(), sectorSize, size(), null, null, specific, null);
    }

    /** Flushes when writable, then says goodbye (NBD_CMD_DISC) and closes the socket. */
    @Override
    public void close() throws IOException {
        try {
            if (!readOnly) {
                BlockIo.flush(this);
            }
        } finally {
            connection.close();
        }
    }
}
