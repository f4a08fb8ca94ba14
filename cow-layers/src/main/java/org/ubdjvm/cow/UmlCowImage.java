package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

/**
 * A UML COW file over any {@link BlockImage}: sector s comes from the COW data area when its bit is set, else from
 * the layer below. Reads are split into runs of sectors by bitmap and each run is served by its own layer (a read
 * crossing many runs reads each layer's whole range once and copies this layer's runs over: {@link SectorRuns}), so a
 * request that mixes both is right (the 6.1 kernel advances the buffer by the last run only when one page mixes
 * them; we do not copy that). A write lands in the data area; its bit is set in the bitmap's page cache when the
 * data write completes and reaches the file at the next flush (or when its page is evicted), after an fdatasync of the
 * data.
 */
final class UmlCowImage implements BlockImage {
    private final HostFile cow;
    private final BlockImage backing;
    private final IoEngine engine;
    private final FormatTable table;
    private volatile UmlCowHeader header;
    private final CowBitmap bitmap;
    private final MetadataFlusher flusher;
    private final long writableSectors;
    private final boolean syncWrites;
    private final int ss;
    private final long dataOffset;
    private final ScratchBuffers scratchBuffers;

    private final Recycler<WholeTransfer> transfers = new Recycler<>(64, () -> new WholeTransfer(this.transfers));
    private final Recycler<Allocated> allocations = new Recycler<>(64, Allocated::new);

    /** @param table names a new backing file as the header is to store it (a protocol location as it is) */
    UmlCowImage(HostFile cow, BlockImage backing, IoEngine engine, UmlCowHeader header, CowBitmap bitmap,
                boolean syncWrites, FormatTable table) {
        this.cow = cow;
        this.table = table;
        this.backing = backing;
        this.engine = engine;
        this.header = header;
        this.bitmap = bitmap;
        this.writableSectors = header.recordableSectors();
        this.syncWrites = syncWrites;
        this.ss = header.sectorSize();
        this.dataOffset = header.dataOffset();
        this.flusher = new MetadataFlusher(cow, engine, bitmap.pages());
        this.scratchBuffers = new ScratchBuffers(SectorRuns.GATHER_MAX, Math.max(cow.directAlignment(), 4096));
    }

    @Override
    public long size() {
        return header.size();
    }

    @Override
    public int sectorSize() {
        return Math.max(ss, cow.directAlignment()); // O_DIRECT: whole blocks only; the bitmap still counts ss
    }

    @Override
    public boolean readOnly() {
        return cow.readOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst, IoCompletion done) {
        int length = dst.remaining();
        long first = offset / ss;
        long end = first + length / ss;
        long run;
        try {
            run = run(first, end);
        } catch (IOException e) { // a bitmap page that cannot be read fails the request, not the process
            done.done(0, e);
            return;
        }
        // The common case, one layer holds the whole request: the caller's buffer goes down as it is, with no join
        // and no views, so a request allocates nothing.
        if (run == end) {
            engine.read(cow, dst, dataOffset + offset, transfers.take().ofRead(dst, done));
            engine.submit();
        } else if (run == -end - 1 && backing.capacity() - offset >= length) {
            backing.read(offset, dst, done);
        } else {
            readRuns(dst, first, end, done);
        }
    }

    /**
     * The run of sectors from {@code s} (before {@code end}) whose bits are alike, as one number so the hot path
     * needs no object for it: the run's end when its bits are set (this layer's data), {@code -runEnd - 1} when they
     * are clear (the layer below's).
     */
    private long run(long s, long end) throws IOException {
        boolean inCow = bitmap.get(s);
        long runEnd = bitmap.runEnd(s, end, inCow);
        return inCow ? runEnd : -runEnd - 1;
    }

    /**
     * A request whose sectors lie in several layers (or past the end of the one below): one part per run, or, when
     * it crosses many runs, each layer's whole range once ({@link #readGathered}).
     */
    private void readRuns(ByteBuffer dst, long first, long end, IoCompletion done) {
        int length = dst.remaining();
        int start = dst.position();
        SectorRuns runs;
        try {
            runs = SectorRuns.of(bitmap, first, end, ss);
        } catch (IOException e) { // a bitmap page that cannot be read fails the request, not the process
            done.done(0, e);
            return;
        }
        if (runs.worthGathering(length)) {
            readGathered(first, dst, runs, done);
            return;
        }
        Join join = new Join(done, length);
        for (int i = 0; i < runs.count(); i++) {
            int from = start + runs.from(i);
            int to = start + runs.to(i);
            long at = first * ss + runs.from(i);
            ByteBuffer part = dst.duplicate().limit(to).position(from);
            join.fork();
            if (runs.held(i)) {
                engine.read(cow, part, dataOffset + at, (n, e) -> {
                    if (e == null && n < to - from) {
                        Zeros.fill(dst, from + (int) n, to); // a hole past the end of a sparse COW file
                    }
                    join.done(n, e);
                });
            } else {
                LayerBelow.read(backing, at, part, from, to, dst, join);
            }
        }
        engine.submit();
        join.arm();
    }

    /**
     * A read crossing many runs, as two host requests ({@link SectorRuns#GATHER_ABOVE} says why): the layer below's
     * whole range into {@code dst}, this layer's data for the whole range into a scratch buffer, then its runs copied
     * over the first.
     */
    private void readGathered(long first, ByteBuffer dst, SectorRuns runs, IoCompletion done) {
        int length = dst.remaining();
        int start = dst.position();
        ByteBuffer scratch = scratchBuffers.take(length);
        Join join = new Join((n, e) -> {
            if (e == null) {
                runs.overlay(scratch, dst, start);
            }
            scratchBuffers.give(scratch);
            done.done(n, e);
        }, length);
        join.fork();
        LayerBelow.read(backing, first * ss, dst.duplicate(), start, start + length, dst, join);
        join.fork();
        engine.read(cow, scratch, dataOffset + first * ss, (n, e) -> {
            if (e == null && n < length) {
                Zeros.fill(scratch, (int) n, length); // a hole past the end of a sparse COW file
            }
            join.done(n, e);
        });
        engine.submit();
        join.arm();
    }

    @Override
    public void write(long offset, ByteBuffer src, IoCompletion done) {
        int length = src.remaining();
        ImageException unaddressable = checkAddressable(offset, length);
        if (unaddressable != null) {
            done.done(0, unaddressable);
            return;
        }
        // the buffer goes down as it is (its position put back by the transfer), then the bits are set
        engine.write(cow, src, dataOffset + offset, transfers.take().ofWrite(src, allocations.take().of(offset, length,
                done)));
        engine.submit();
    }

    /**
     * A hole in the data area with its bits set: reads give zeros, not the layer below (spec 4.5). Durable like a
     * write: the bits reach the file at the next flush.
     */
    @Override
    public void discard(long offset, long length, IoCompletion done) {
        ImageException bad = checkAddressable(offset, length);
        if (bad != null) {
            done.done(0, bad);
            return;
        }
        engine.punchHole(cow, dataOffset + offset, length, allocations.take().of(offset, length, done));
    }

    /** V1/V2 files whose bitmap formula dropped the last bits cannot record those sectors. */
    private ImageException checkAddressable(long offset, long length) {
        long first = offset / ss;
        long count = length / ss;
        if (first + count <= writableSectors) {
            return null;
        }
        return new ImageException(cow.path(), "sector " + Math.max(first, writableSectors)
                + " cannot be written: its bit lies past the " + header.layout().name()
                + " bitmap (the V1/V2 rounding bug; the kernel and uml_moo would not see it); convert to V3");
    }

    /**
     * After the data (or hole) is in place: set the bits, and with sync writes make them durable before completing.
     * One per write in flight, reused ({@link Recycler}): the write path allocates nothing per request.
     */
    private final class Allocated implements IoCompletion {
        private long offset;
        private long length;
        private IoCompletion done;

        Allocated of(long offset, long length, IoCompletion done) {
            this.offset = offset;
            this.length = length;
            this.done = done;
            return this;
        }

        @Override
        public void done(long n, IOException e) {
            long at = offset;
            long len = length;
            IoCompletion d = done;
            done = null;
            allocations.give(this); // before the caller's completion, which may start the next request
            if (e != null) {
                d.done(0, e);
                return;
            }
            try {
                bitmap.set(at / ss, len / ss);
            } catch (IOException be) {
                d.done(0, be);
                return;
            }
            if (syncWrites) {
                flusher.flush((r, fe) -> d.done(fe == null ? len : 0, fe));
            } else {
                d.done(len, null);
            }
        }
    }

    @Override
    public void flush(IoCompletion done) {
        if (cow.readOnly()) {
            done.done(0, null);
            return;
        }
        flusher.flush(done);
    }

    /**
     * Set bits are this layer's; a run of clear bits is asked of the layer below, and past the end of the layer
     * below it reads zeros. A sector of ours that the layer below answers in pieces (its sectors are smaller) is
     * reported whole, as the uppermost layer holding any of it.
     */
    @Override
    public Allocation allocation(long offset, long length) throws IOException {
        long first = offset / ss;
        long end = first + length / ss;
        boolean inCow = bitmap.get(first);
        long runEnd = bitmap.runEnd(first, end, inCow);
        long runLength = (runEnd - first) * ss;
        if (inCow) {
            return new Allocation(offset, runLength, 0);
        }
        Allocation below = LayerBelow.allocation(backing, offset, runLength);
        long whole = below.length() / ss * ss;
        if (whole > 0) {
            return below.limit(whole);
        }
        return new Allocation(offset, ss, uppermost(offset));
    }

    /** The uppermost layer holding any part of our sector at {@code offset}, or zeros if none does. */
    private int uppermost(long offset) throws IOException {
        int depth = Allocation.ZEROS;
        for (long at = offset; at < offset + ss; ) {
            Allocation part = LayerBelow.allocation(backing, at, offset + ss - at);
            if (!part.zeros() && (depth == Allocation.ZEROS || part.depth() < depth)) {
                depth = part.depth();
            }
            at = part.end();
        }
        return depth;
    }

    @Override
    public void plug() {
        LayerBelow.plug(engine, backing);
    }

    @Override
    public void unplug() {
        LayerBelow.unplug(engine, backing);
    }

    @Override
    public int cancelOlderThan(Duration age) {
        return LayerBelow.cancelOlderThan(engine, backing, age);
    }

    @Override
    public LayerFile layerFile() {
        return new LayerFile() {
            @Override
            public void recordBacking(java.nio.file.Path newBacking) throws IOException {
                rewriteHeader(newBacking);
            }

            @Override
            public void checkRecordBacking(java.nio.file.Path newBacking) throws IOException {
                UmlCowHeader h = header;
                headerChange(h, naming(h, newBacking, true));
            }

            @Override
            public void empty(long length) throws IOException {
                forget(length);
            }
        };
    }

    /** The header naming {@code newBacking} with its size and mtime, written as one checked sector, then synced. */
    private void rewriteHeader(java.nio.file.Path newBacking) throws IOException {
        UmlCowHeader h = header;
        UmlCowHeader next = naming(h, newBacking, false);
        UmlCowHeaderChange change = headerChange(h, next);
        if (!change.empty()) {
            BlockIo.await("header write", WaitLimit.DEFAULT, done -> {
                engine.write(cow, ByteBuffer.wrap(change.bytes()), change.offset(), done);
                engine.submit();
            });
            BlockIo.await("fdatasync", WaitLimit.DEFAULT, done -> {
                engine.datasync(cow, done);
                engine.submit();
            });
        }
        header = next;
    }

    /**
     * {@code h} naming {@code newBacking} with its mtime (0 for a protocol location, which has none, as create stores
     * it); the stored name is kept when it names that backing.
     *
     * @param moved take any mtime but the recorded one, without asking the file: the caller's copy will move the
     *              backing's before the header records it
     */
    private UmlCowHeader naming(UmlCowHeader h, java.nio.file.Path newBacking, boolean moved) throws IOException {
        long mtime = BackingPath.remote(newBacking, table) ? 0 : moved ? h.mtime() ^ 1
                : HostFile.mtimeSeconds(newBacking);
        java.nio.file.Path stored = BackingPath.resolveStored(cow.path(), h.backingFile(), table);
        String name = BackingPath.sameBacking(newBacking, stored, table) ? h.backingFile()
                : BackingPath.stored(newBacking, table);
        return new UmlCowHeader(h.layout(), mtime, h.size(), h.sectorSize(), h.alignment(), h.cowFormat(), name);
    }

    /** The checked change from {@code h} (the bytes on disk) to {@code next}; refused when it is not atomic. */
    private UmlCowHeaderChange headerChange(UmlCowHeader h, UmlCowHeader next) throws IOException {
        byte[] onDisk = new byte[h.layout().headerSize()];
        cow.read(ByteBuffer.wrap(onDisk), 0);
        return UmlCowHeaderChange.of(cow.path(), onDisk, h, next);
    }

    /**
     * Clears the bits of {@code [0, length)} and makes that durable, then gives the data area's blocks back to the
     * host. A crash between leaves data no bit points at: a leak, never a wrong read.
     */
    private void forget(long length) throws IOException {
        long sectors = Math.min(length / ss, writableSectors);
        bitmap.clear(0, sectors);
        BlockIo.flush(this);
        BlockIo.await("punch hole", WaitLimit.DEFAULT, done -> engine.punchHole(cow, dataOffset, sectors * ss, done));
    }

    @Override
    public ImageInfo info() throws IOException {
        Map<String, Object> specific = new LinkedHashMap<>();
        specific.put("version", header.layout().version());
        specific.put("layout", header.layout().name());
        specific.put("mtime", header.mtime());
        specific.put("alignment", header.alignment());
        specific.put("cow-format", header.cowFormat());
        specific.put("bitmap-offset", header.bitmapOffset());
        specific.put("bitmap-length", header.bitmapLength());
        specific.put("data-offset", dataOffset);
        return new ImageInfo(cow.path(), UmlCowFormat.NAME, header.size(), ss, cow.size(),
                bitmap.countSet() * ss, header.backingFile(), specific, backing.info());
    }

    @Override
    public void close() throws IOException {
        LayerBelow.close(this, cow, backing);
    }
}
