package org.ubdjvm.cow.testing.conformance;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.CheckReport;
import org.ubdjvm.cow.ImageException;

/**
 * One test's run: the image under test open on its stack, the model it must agree with, and the seeded random
 * choices. Every request goes through here, is checked at once against the {@link ImageModel} and the
 * {@link BlockImage} contract (one completion, the caller's buffer left as it was, bad requests refused with an
 * {@link ImageException} naming the file), and any failure names the subject, the seed and the last steps.
 */
final class Session implements Closeable {
    static final String SEED_PROPERTY = "ubd.conformance.seed";
    /** Requests up to 72 sectors: past the 64-sector limit the kernel has with a COW file. */
    static final int MAX_SECTORS = 72;
    static final int PAGE = 4096;
    private static final byte GUARD = (byte) 0xA5;
    private static final int RECENT = 8;

    enum Op { READ, WRITE, DISCARD }

    private final String subject;
    private final long seed;
    private final Random random;
    private final TestStack stack;
    private final ImageModel model;
    private final int ss;
    private final Deque<String> recent = new ArrayDeque<>();
    private BlockImage image;
    private boolean readOnly;
    private int steps;
    private int writes;

    Session(String subject, long seed, TestStack stack) throws IOException {
        this.subject = subject;
        this.seed = seed;
        this.random = new Random(seed);
        this.stack = stack;
        this.model = stack.model();
        this.ss = model.sectorSize();
        this.image = stack.open(false);
        checkGeometry();
    }

    Random random() {
        return random;
    }

    ImageModel model() {
        return model;
    }

    TestStack stack() {
        return stack;
    }

    boolean readOnly() {
        return readOnly;
    }

    long sectors() {
        return model.sectors();
    }

    BlockImage image() {
        return image;
    }

    /** Where a random request of up to {@code max} sectors goes: mostly anywhere, sometimes hard at the end. */
    long[] place(int max) {
        int count = 1 + random.nextInt(Math.min(max, model.sectors()));
        long first = random.nextInt(4) == 0 ? model.sectors() - count - random.nextInt(3)
                : random.nextInt(model.sectors() - count + 1);
        return new long[] {Math.max(0, first), count};
    }

    /** Reads and compares with the model, in a heap or direct buffer whose request starts at 0, 1, 511 or 4096. */
    void read(long firstSector, int count) {
        long offset = firstSector * ss;
        int length = count * ss;
        note("read " + range(firstSector, count));
        boolean direct = random.nextInt(3) == 0;
        int pad = pad(direct);
        ByteBuffer buf = guarded(length, pad, direct);
        Pending p = start(Op.READ, offset, buf, length);
        complete(p, "read " + range(firstSector, count));
        requireLeftAlone(buf, pad, length, "read");
        require(p.result() == length, "read " + range(firstSector, count) + " completed with " + p.result()
                + " bytes, not " + length);
        ByteBuffer whole = buf.duplicate().clear();
        for (int i = 0; i < whole.capacity(); i++) {
            if ((i < pad || i >= pad + length) && whole.get(i) != GUARD) {
                fail("read " + range(firstSector, count) + " wrote byte " + i + " of the buffer, outside position "
                        + pad + "..limit " + (pad + length), null);
            }
        }
        byte[] got = new byte[length];
        buf.get(pad, got);
        String diff = model.difference(offset, got);
        require(diff == null, "read " + range(firstSector, count) + ": " + diff);
    }

    /** Writes new bytes (each sector starts with who wrote it), or expects a refusal while read-only. */
    void write(long firstSector, int count) {
        if (readOnly) {
            expectRefused(Op.WRITE, firstSector * ss, (long) count * ss, "the image is open read-only");
            return;
        }
        long offset = firstSector * ss;
        int length = count * ss;
        byte[] data = newData(firstSector, count);
        note("write " + range(firstSector, count) + " as w" + writes);
        boolean direct = random.nextInt(3) == 0;
        int pad = pad(direct);
        ByteBuffer buf = guarded(length, pad, direct);
        buf.put(pad, data);
        Pending p = start(Op.WRITE, offset, buf, length);
        complete(p, "write " + range(firstSector, count));
        requireLeftAlone(buf, pad, length, "write");
        require(p.result() == length, "write " + range(firstSector, count) + " completed with " + p.result()
                + " bytes, not " + length);
        byte[] after = new byte[length];
        buf.get(pad, after);
        require(java.util.Arrays.equals(after, data), "write " + range(firstSector, count)
                + " changed the caller's data");
        model.write(offset, data);
    }

    void discard(long firstSector, int count) {
        if (readOnly) {
            expectRefused(Op.DISCARD, firstSector * ss, (long) count * ss, "the image is open read-only");
            return;
        }
        note("discard " + range(firstSector, count));
        Pending p = start(Op.DISCARD, firstSector * ss, null, (long) count * ss);
        complete(p, "discard " + range(firstSector, count));
        model.discard(firstSector * ss, (long) count * ss);
    }

    void flush() {
        note("flush");
        Pending p = new Pending();
        try {
            image.flush(p);
        } catch (RuntimeException e) {
            fail("flush threw " + e + " instead of completing", e);
        }
        complete(p, "flush");
    }

    /** Closes the image (which flushes) and opens the stack's top again. */
    void reopen(boolean ro) {
        note("close+reopen" + (ro ? " read-only" : ""));
        closeImage();
        try {
            image = stack.open(ro);
        } catch (IOException e) {
            fail("reopen failed: " + e, e);
        }
        readOnly = ro;
        checkGeometry();
        checkAllocation();
    }

    /** The whole disk in one request equals the model. */
    void checkWholeDisk() {
        note("read whole disk");
        ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(model.capacity()));
        Pending p = start(Op.READ, 0, all, all.capacity());
        complete(p, "read of the whole disk");
        String diff = model.difference(0, all.array());
        require(diff == null, "whole-disk read: " + diff);
    }

    /**
     * The allocation map of the whole disk tiles it with runs whose layer is the model's for every sector (zeros
     * only where the model reads zeros), and so do queries of a few random ranges, each answering a run that starts
     * where asked and ends within the range.
     */
    void checkAllocation() {
        note("allocation map");
        try {
            long at = 0;
            for (Allocation run : image.allocationMap(0, model.capacity())) {
                require(run.offset() == at, "allocation map: a run starts at " + run.offset() + ", the last ended at "
                        + at);
                requireRun(run, "allocation map");
                at = run.end();
            }
            require(at == model.capacity(), "allocation map ends at " + at + ", the disk at " + model.capacity());
            for (int i = 0; i < 8; i++) {
                long[] range = place(Session.MAX_SECTORS);
                long offset = range[0] * ss;
                long length = range[1] * ss;
                Allocation run = image.allocation(offset, length);
                String what = "allocation(" + offset + ", " + length + ") = " + run;
                require(run.offset() == offset && run.length() > 0 && run.length() <= length, what
                        + ": not a run that starts at the offset and ends within the range");
                requireRun(run, what);
            }
        } catch (IOException e) {
            fail("allocation query failed: " + e, e);
        }
    }

    /** An allocation query that breaks the contract throws an ImageException naming the top file. */
    void expectAllocationRefused(long offset, long length, String why) {
        String what = "allocation query of " + length + " bytes at offset " + offset + " (" + why + ")";
        note("bad " + what);
        try {
            Allocation run = image.allocation(offset, length);
            fail(what + " was answered: " + run, null);
        } catch (ImageException e) {
            String name = stack.top().getFileName().toString();
            require(e.getMessage().contains(name), what + ": the error does not name the file " + name + ": "
                    + e.getMessage());
        } catch (IOException | RuntimeException e) {
            fail(what + " failed with " + e + " instead of an ImageException", e);
        }
    }

    private void requireRun(Allocation run, String what) {
        require(run.length() % ss == 0, what + ": run " + run + " is not whole sectors");
        for (long s = run.offset() / ss; s < run.end() / ss; s++) {
            if (run.zeros()) {
                require(model.zero(s), what + ": sector " + s + " is reported held by no layer (zeros) but reads "
                        + ImageModel.preview(model.read(s * ss, ss), 0) + ", held "
                        + ImageModel.describeDepth(model.depth(s)));
            } else {
                require(run.depth() == model.depth(s), what + ": sector " + s + " is reported held "
                        + ImageModel.describeDepth(run.depth()) + "; it is held " + ImageModel.describeDepth(model.depth(s)));
            }
        }
    }

    /**
     * A request that breaks the contract must complete with an {@link ImageException} naming the top file, leave
     * the caller's buffer alone and change nothing (the caller checks the disk and the files).
     */
    void expectRefused(Op op, long offset, long length, String why) {
        String what = op.name().toLowerCase(java.util.Locale.ROOT) + " of " + length + " bytes at offset " + offset
                + " (" + why + ")";
        note("bad " + what);
        int size = op == Op.DISCARD ? 0 : Math.toIntExact(length);
        ByteBuffer buf = guarded(size, 0, false);
        Pending p = start(op, offset, buf, length);
        if (!p.await()) {
            fail(what + ": no completion within 30 s", null);
        }
        IOException e = p.error();
        if (e == null) {
            fail(what + " was accepted", null);
        }
        if (!(e instanceof ImageException)) {
            fail(what + " failed with " + e + " instead of an ImageException", e);
        }
        String name = stack.top().getFileName().toString();
        require(e.getMessage().contains(name), what + ": the error does not name the file " + name + ": "
                + e.getMessage());
        requireLeftAlone(buf, 0, size, "refused " + op);
        for (int i = 0; i < size; i++) {
            require(buf.get(i) == GUARD, what + ": refused, yet byte " + i + " of the buffer changed");
        }
        require(p.calls() == 1, what + ": completed " + p.calls() + " times");
    }

    /** A zero-length request is aligned and in range: it succeeds or is refused with an ImageException. */
    void empty(Op op, long offset) {
        String what = "empty " + op.name().toLowerCase(java.util.Locale.ROOT) + " at offset " + offset;
        note(what);
        Pending p = start(op, offset, ByteBuffer.allocate(0), 0);
        if (!p.await()) {
            fail(what + ": no completion within 30 s", null);
        }
        IOException e = p.error();
        if (e != null && !(e instanceof ImageException)) {
            fail(what + " failed with " + e + " instead of completing or an ImageException", e);
        }
    }

    /**
     * {@code requests} requests started before any is awaited, on disjoint ranges of 1-4 sectors (reads, writes,
     * discards) with a flush among them now and then; then each must complete exactly once, reads with the bytes
     * the model had when they started.
     */
    void inFlight(int requests) {
        List<long[]> chunks = new ArrayList<>();
        for (long s = 0; s < model.sectors(); ) {
            int count = (int) Math.min(1 + random.nextInt(4), model.sectors() - s);
            chunks.add(new long[] {s, count});
            s += count;
        }
        Collections.shuffle(chunks, random);
        List<InFlight> started = new ArrayList<>();
        // half the batches plugged: held until unplug, they reach the engine together
        boolean plugged = random.nextBoolean();
        note(requests + " requests in flight" + (plugged ? ", plugged" : ""));
        if (plugged) {
            image.plug();
        }
        for (int i = 0; i < Math.min(requests, chunks.size()); i++) {
            long first = chunks.get(i)[0];
            int count = (int) chunks.get(i)[1];
            long offset = first * ss;
            int length = count * ss;
            int kind = random.nextInt(20);
            if (kind < 9 || readOnly) {
                ByteBuffer buf = random.nextBoolean() ? direct(length) : ByteBuffer.allocate(length);
                started.add(new InFlight("read " + range(first, count), start(Op.READ, offset, buf, length), buf,
                        model.read(offset, length)));
            } else if (kind < 18) {
                byte[] data = newData(first, count);
                started.add(new InFlight("write " + range(first, count),
                        start(Op.WRITE, offset, ByteBuffer.wrap(data), length), null, null));
                model.write(offset, data);
            } else if (kind < 19) {
                started.add(new InFlight("discard " + range(first, count), start(Op.DISCARD, offset, null, length),
                        null, null));
                model.discard(offset, length);
            } else {
                Pending p = new Pending();
                image.flush(p);
                started.add(new InFlight("flush", p, null, null));
            }
        }
        if (plugged) {
            image.unplug();
        }
        for (int i = 0; i < started.size(); i++) {
            InFlight r = started.get(i);
            complete(r.pending(), "request #" + i + " in flight, " + r.what());
            if (r.expected() != null) {
                byte[] got = new byte[r.expected().length];
                r.buffer().get(0, got);
                int at = java.util.Arrays.mismatch(r.expected(), got);
                require(at < 0, "request #" + i + " in flight, " + r.what() + ": byte " + at + " differs: expected "
                        + ImageModel.preview(r.expected(), at / ss * ss) + ", got " + ImageModel.preview(got, at / ss * ss));
            }
        }
        for (int i = 0; i < started.size(); i++) {
            int calls = started.get(i).pending().calls();
            require(calls == 1, "request #" + i + " in flight, " + started.get(i).what() + ", completed " + calls
                    + " times");
        }
    }

    /** A request started and not yet awaited; a read keeps its buffer and the bytes it must return. */
    private record InFlight(String what, Pending pending, ByteBuffer buffer, byte[] expected) {
    }

    /**
     * Reads every 4 KiB page in one request, and the 6 sectors straddling each page boundary; returns how many of
     * the page reads the model serves from more than one file.
     */
    int readPages() {
        int mixed = 0;
        int perPage = PAGE / ss;
        for (long first = 0; first + perPage <= model.sectors(); first += perPage) {
            read(first, perPage);
            if (model.layersServing(first, perPage) > 1) {
                mixed++;
            }
            if (first + perPage + 3 <= model.sectors()) {
                read(first + perPage - 3, 6);
            }
        }
        return mixed;
    }

    void closeImage() {
        if (image == null) {
            return;
        }
        BlockImage closing = image;
        image = null;
        try {
            closing.close();
        } catch (IOException e) {
            fail("close failed: " + e, e);
        }
        checkFiles();
    }

    /** Every file of the stack checks clean with its format's {@code check}: nothing a close may leave behind. */
    private void checkFiles() {
        try {
            for (CheckReport r : stack.check()) {
                require(r.clean(), "after close, check of " + r.file().getFileName() + " (" + r.format() + ") found "
                        + r.corruptions() + " corruptions and " + r.leaks() + " leaks: " + r.messages());
            }
        } catch (IOException e) {
            fail("after close, check failed: " + e, e);
        }
    }

    @Override
    public void close() {
        closeImage();
    }

    void require(boolean ok, String what) {
        if (!ok) {
            fail(what, null);
        }
    }

    /** Every failure names the subject, the seed to rerun it with, the step and the last requests before it. */
    void fail(String what, Throwable cause) {
        throw new AssertionError(subject + ", seed " + seed + " (rerun: -D" + SEED_PROPERTY + "=" + seed + "), step "
                + steps + ": " + what + "; last steps: " + String.join(", ", recent), cause);
    }

    private void checkGeometry() {
        require(image.sectorSize() == ss, "sector size " + image.sectorSize() + ", expected " + ss);
        require(image.capacity() == model.capacity(), "capacity " + image.capacity() + ", expected "
                + model.capacity());
        require(image.readOnly() == readOnly, "readOnly() is " + image.readOnly() + " after opening "
                + (readOnly ? "read-only" : "read-write"));
    }

    private Pending start(Op op, long offset, ByteBuffer buf, long length) {
        Pending p = new Pending();
        try {
            switch (op) {
                case READ -> image.read(offset, buf, p);
                case WRITE -> image.write(offset, buf, p);
                case DISCARD -> image.discard(offset, length, p);
                default -> throw new IllegalStateException(op.name());
            }
        } catch (RuntimeException e) {
            fail(op + " of " + length + " bytes at " + offset + " threw " + e + " instead of completing", e);
        }
        return p;
    }

    /** Waits for a request that must succeed. */
    private void complete(Pending p, String what) {
        if (!p.await()) {
            fail(what + ": no completion within 30 s", null);
        }
        if (p.error() != null) {
            fail(what + " failed: " + p.error(), p.error());
        }
    }

    private void requireLeftAlone(ByteBuffer buf, int pad, int length, String what) {
        require(buf.position() == pad && buf.limit() == pad + length, what + " moved the caller's buffer: position "
                + buf.position() + ", limit " + buf.limit() + ", expected " + pad + ", " + (pad + length));
    }

    private void note(String step) {
        steps++;
        if (recent.size() == RECENT) {
            recent.removeFirst();
        }
        recent.addLast(step);
    }

    /** Where the request starts in the caller's buffer: mostly 0; 1, 511 and 4096 must work as well. */
    private int pad(boolean direct) {
        int[] pads = {0, 0, 0, 1, 511, PAGE};
        int pad = pads[random.nextInt(pads.length)];
        // a whole-block (O_DIRECT) stack takes direct memory on block boundaries only
        return direct && ss >= PAGE ? pad / PAGE * PAGE : pad;
    }

    /** Each sector starts with "w000042 s=000017 " (write number, sector), then random bytes. */
    private byte[] newData(long firstSector, int count) {
        byte[] data = new byte[count * ss];
        random.nextBytes(data);
        for (int i = 0; i < count; i++) {
            byte[] text = String.format("w%06d s=%06d ", writes, firstSector + i).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(text, 0, data, i * ss, text.length);
        }
        writes++;
        return data;
    }

    /** {@code length} guard bytes with {@code pad} more on each side; position {@code pad}, limit {@code pad+length}. */
    private ByteBuffer guarded(int length, int pad, boolean direct) {
        int total = pad + length + pad;
        ByteBuffer buf = direct ? direct(total) : ByteBuffer.allocate(total);
        for (int i = 0; i < total; i++) {
            buf.put(i, GUARD);
        }
        return buf.position(pad).limit(pad + length);
    }

    /** Direct memory; on a 4096-byte boundary for a stack of whole blocks (O_DIRECT layers refuse any other). */
    private ByteBuffer direct(int length) {
        if (ss < PAGE) {
            return ByteBuffer.allocateDirect(length);
        }
        return ByteBuffer.allocateDirect((length + PAGE - 1) / PAGE * PAGE + PAGE).alignedSlice(PAGE).slice(0, length);
    }

    private static String range(long first, long count) {
        return "sectors " + first + ".." + (first + count - 1);
    }
}
