package org.ubdjvm.props;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.cow.MetadataCacheOptions;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.WaitLimit;
import org.ubdjvm.cow.testing.NbdServer;
import org.ubdjvm.hostio.IoEngines;

/**
 * The state of one sequence: a real stack of files in a directory of its own, the image opened on its top, and
 * the model it must agree with. Each operation does the real thing, updates the model and asserts what it can see
 * at once; {@link #checkAgainstModel} is the full comparison run after every step.
 */
final class DiskUnderTest implements Closeable {
    /** Filler for the parts of a buffer a request must not touch. */
    private static final byte GUARD = (byte) 0xA5;
    private static final int SECTOR = SectorData.SECTOR;

    private final Path dir;
    private final RecordingEngine engine;
    /** Every wait is bounded; a timeout says what the engine holds (op, file, offset, age; SQ/CQ indexes). */
    private final WaitLimit limit;
    private final String engineName;
    private final WriteOrder writeOrder = new WriteOrder();
    private final FormatTable table = FormatTable.standard();
    private final StackModel model;
    private final SinceFlush sinceFlush;
    private final MetadataCacheOptions metadata;
    private BlockImage image;
    /** The server of a served base, stopped on close; null when the base is a plain file. */
    private NbdServer server;
    private Access access = Access.READ_WRITE;
    private int straddlingReads;
    private int discards;
    private int crashes;
    /** Counts the steps that changed the disk or the stack; shrinking first drops the steps that did not. */
    private long changes;

    private DiskUnderTest(Path dir, StackModel model, String engineName, RecordingEngine engine,
                          MetadataCacheOptions metadata) {
        this.dir = dir;
        this.metadata = metadata;
        this.engineName = engineName;
        this.engine = engine;
        this.limit = new WaitLimit(WaitLimit.DEFAULT.timeout(), engine::describeInFlight);
        this.model = model;
        this.sinceFlush = new SinceFlush(model.disk());
    }

    /**
     * Makes the files of {@code setup} in the empty directory {@code dir} and opens the top read-write on a new
     * engine of the setup's kind, which {@link #close} closes.
     */
    static DiskUnderTest create(Path dir, DiskSetup setup) throws IOException {
        Path base = dir.resolve("base.raw");
        byte[] content = SectorData.backing(setup.baseSize());
        Files.write(base, content, StandardOpenOption.CREATE_NEW);
        RecordingEngine engine = new RecordingEngine(IoEngines.create(setup.engine()));
        DiskUnderTest disk = new DiskUnderTest(dir, StackModel.overRaw(base, content), setup.engine(), engine,
                setup.metadata());
        try {
            if (setup.servedBase()) {
                disk.server = NbdServer.qemuNbd(base, true, "");
                disk.model.servedAs(disk.server.uri());
            }
            for (LayerKind kind : setup.layers()) {
                if (kind.base()) {
                    disk.wrapBase(kind);
                } else {
                    disk.createLayer(kind);
                }
            }
            disk.open(Access.READ_WRITE);
        } catch (IOException | RuntimeException e) {
            disk.close();
            throw e;
        }
        return disk;
    }

    StackModel model() {
        return model;
    }

    long sectors() {
        return model.disk().sectors();
    }

    boolean readOnly() {
        return access == Access.READ_ONLY;
    }

    int straddlingReads() {
        return straddlingReads;
    }

    int discards() {
        return discards;
    }

    long changes() {
        return changes;
    }

    void write(long offset, byte[] data, int pad) throws IOException {
        if (readOnly()) {
            expectRejected(Op.WRITE, offset, data.length, "read-only");
            return;
        }
        ByteBuffer src = guarded(data, pad);
        BlockIo.write(image, offset, src, limit);
        require(src.position() == pad && src.limit() == pad + data.length, "write moved the caller's buffer");
        require(Arrays.equals(src.array(), pad, pad + data.length, data, 0, data.length), "write changed the caller's data");
        model.write(offset, data);
        sinceFlush.wrote(offset, data);
        if (access == Access.SYNC_WRITES) {
            sinceFlush.flushed(model.disk()); // the s flag: durable, bitmap included, before it completes
        }
        changes++;
    }

    void discard(long offset, int length) throws IOException {
        if (readOnly()) {
            expectRejected(Op.DISCARD, offset, length, "read-only");
            return;
        }
        BlockIo.discard(image, offset, length, limit);
        model.discard(offset, length);
        discards++;
        sinceFlush.wrote(offset, new byte[length]);
        if (access == Access.SYNC_WRITES) {
            sinceFlush.flushed(model.disk());
        }
        changes++;
    }

    void read(long offset, int length, int pad) throws IOException {
        ByteBuffer dst = guarded(new byte[length], pad);
        Arrays.fill(dst.array(), GUARD);
        BlockIo.read(image, offset, dst, limit);
        require(dst.position() == pad && dst.limit() == pad + length, "read moved the caller's buffer");
        byte[] got = Arrays.copyOfRange(dst.array(), pad, pad + length);
        require(guardsIntact(dst.array(), pad, pad + length), "read wrote outside position..limit of the buffer");
        if (model.straddles(offset / SECTOR, length / SECTOR)) {
            straddlingReads++;
        }
        String diff = model.disk().difference(offset, got);
        require(diff == null, "read of " + length + " bytes at " + offset + ": " + diff + " (served by "
                + describeOwners(offset, length) + ")");
    }

    void flush() throws IOException {
        BlockIo.flush(image, limit);
        sinceFlush.flushed(model.disk());
    }

    void reopen(Access mode) throws IOException {
        closeAndCheckFiles();
        open(mode);
    }

    /** Close the stack, put a new COW file over its top, open the new top read-write. */
    void addLayer(LayerKind kind) throws IOException {
        closeAndCheckFiles();
        long size = model.sizeForNewLayer();
        if (kind.needsAlignedSize() && size % (8 * SECTOR) != 0) {
            // V1/V2 bitmaps round down and would lose the last sectors; creating one must be refused, cleanly.
            Path file = layerFile(kind);
            try {
                createLayer(kind);
                throw new AssertionError("creating a " + kind + " layer over a " + size + "-byte disk succeeded");
            } catch (ImageException expected) {
                require(!Files.exists(file), "a refused create left " + file.getFileName() + " behind");
            }
            open(access);
            return;
        }
        createLayer(kind);
        open(Access.READ_WRITE);
    }

    /** Copy the top file as it is now (the image still open, as after a crash) and check what the copy holds. */
    void crashCopy() throws IOException {
        Path copy = dir.resolve("crash" + (++crashes) + "-" + model.top().file().getFileName());
        Files.copy(model.top().file(), copy);
        Path dataCopy = null;
        if (model.top().kind() == LayerKind.HEADER) {
            // the data file is written in place, and the header records its new mtime only at close: after a crash
            // the header names an mtime that is gone, and check -r (given the data file) is the documented way back
            dataCopy = dir.resolve("crash" + crashes + "-" + model.baseData().getFileName());
            Files.copy(model.baseData(), dataCopy);
            table.check(OpenSpec.of(copy, engine).withBacking(dataCopy), true);
        }
        try (BlockImage crashed = table.open(OpenSpec.of(copy, engine).withReadOnly(true).withBacking(dataCopy))) {
            String bad = sinceFlush.check(readAll(crashed));
            require(bad == null, "copy taken without closing: " + bad);
        } finally {
            Files.deleteIfExists(copy);
            if (dataCopy != null) {
                Files.deleteIfExists(dataCopy);
            }
        }
    }

    /** A request the image must refuse with an ImageException naming the file, touching nothing. */
    void expectRejected(Op op, long offset, int length, String why) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        Arrays.fill(buf.array(), GUARD);
        try {
            op.run(image, offset, buf, limit);
        } catch (ImageException e) {
            String name = model.top().file().getFileName().toString();
            require(e.getMessage().contains(name), "error does not name the file " + name + ": " + e.getMessage());
            require(guardsIntact(buf.array(), 0, 0), "refused " + op + " touched the buffer");
            return;
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(op + " " + length + " bytes at offset " + offset + " (" + why
                    + ") failed with " + e + " instead of an ImageException", e);
        }
        throw new AssertionError(op + " " + length + " bytes at offset " + offset + " (" + why + ") was accepted");
    }

    /** An empty request is aligned and in range: it may succeed or be refused cleanly, and changes nothing. */
    void empty(Op op, long offset) throws IOException {
        try {
            op.run(image, offset, ByteBuffer.allocate(0), limit);
        } catch (ImageException refused) {
            return;
        } catch (IOException | RuntimeException e) {
            throw new AssertionError("empty " + op + " at offset " + offset + " failed with " + e, e);
        }
    }

    /** The full comparison: geometry, every byte of the disk in one request, and each layer's allocation. */
    void checkAgainstModel() {
        try {
            require(image.capacity() == model.disk().capacity(), "capacity " + image.capacity());
            require(image.size() == model.size(), "size " + image.size() + ", expected " + model.size());
            require(image.readOnly() == readOnly(), "read-only flag " + image.readOnly());
            String diff = model.disk().difference(0, readAll(image));
            require(diff == null, "whole-disk read: " + diff);
            checkInfo(image.info());
            String inconsistent = model.selfCheck();
            require(inconsistent == null, inconsistent);
            checkWriteOrder();
        } catch (IOException e) {
            throw new AssertionError("checking " + model + " failed: " + e, e);
        }
    }

    private void checkInfo(ImageInfo top) throws IOException {
        List<StackModel.Layer> layers = model.layers();
        ImageInfo info = top;
        for (int i = layers.size() - 1; i >= 0; i--, info = info.backing()) {
            StackModel.Layer layer = layers.get(i);
            require(info != null, "info stops above " + layer.file().getFileName());
            require(info.fileLength() == Files.size(layer.file()), layer.file().getFileName() + " file-length "
                    + info.fileLength() + ", the file has " + Files.size(layer.file()));
            if (layer.raw() && model.baseUri() != null) {
                require("nbd".equals(info.format()) && info.virtualSize() == model.rawLength()
                        && info.filename().equals(Path.of(model.baseUri())), "the served base's info " + info);
                continue;
            }
            require(Files.isSameFile(info.filename(), layer.file()), "info names " + info.filename()
                    + " where " + layer.file().getFileName() + " is");
            if (layer.raw()) {
                long size = i == layers.size() - 1 ? model.size() : model.rawLength();
                require(layer.kind().baseFormat().equals(info.format()) && info.virtualSize() == size,
                        "base info " + info);
            } else {
                long allocated = (long) layer.owned().cardinality() * SECTOR;
                boolean kindShown = layer.kind().isam()
                        ? "isam".equals(info.format()) && Integer.valueOf(1).equals(info.formatSpecific().get("cow-format"))
                        : "cow".equals(info.format())
                        && Integer.valueOf(layer.version()).equals(info.formatSpecific().get("version"))
                        && layer.kind().layoutName().equals(info.formatSpecific().get("layout"));
                require(kindShown && info.virtualSize() == layer.size(),
                        layer.file().getFileName() + " info " + info.format() + " " + info.virtualSize()
                                + " " + info.formatSpecific());
                require(info.allocatedBytes() != null && info.allocatedBytes() == allocated,
                        layer.file().getFileName() + " allocated-bytes " + info.allocatedBytes() + ", it holds "
                                + allocated);
            }
        }
        require(info == null, "info lists more layers than the stack has");
    }

    /** Closes the image (which flushes) and checks every file of the stack against the model. */
    void closeAndCheckFiles() throws IOException {
        image.close();
        image = null;
        sinceFlush.flushed(model.disk());
        checkWriteOrder();
        OnDiskCheck.verify(model);
    }

    private void checkWriteOrder() {
        String misordered = writeOrder.check(engine.drain(), model);
        require(misordered == null, misordered);
    }

    @Override
    public void close() throws IOException {
        try {
            if (image != null) {
                image.close();
            }
        } finally {
            image = null;
            if (server != null) {
                server.close();
            }
            EngineCloser.close(engine, engineName);
        }
    }

    @Override
    public String toString() {
        return model + access.suffix();
    }

    private void open(Access mode) throws IOException {
        // a raw top is a guest's disk: named raw, as a user must (probed, writes that look like a header are refused)
        image = table.open(OpenSpec.of(model.top().file(), engine).withMetadata(metadata)
                .withReadOnly(mode == Access.READ_ONLY)
                .withSyncWrites(mode == Access.SYNC_WRITES).withFormat(model.top().kind() == LayerKind.RAW ? "raw" : null));
        access = mode;
        model.reopened();
        changes++;
    }

    private void createLayer(LayerKind kind) throws IOException {
        Path file = layerFile(kind);
        Path below = model.top().raw() && model.baseUri() != null ? Path.of(model.baseUri()) : model.top().file();
        table.create(CreateSpec.of(file, "cow").withBacking(below).withOption("version", "" + kind.version())
                .withOption("old64", kind.old64() ? "on" : "off"));
        model.addLayer(file, kind);
    }

    /** Makes the base a DISK (its bytes copied in, the raw file removed) or a HEADER over the raw file. */
    private void wrapBase(LayerKind kind) throws IOException {
        Path raw = model.top().file();
        Path file = dir.resolve("base." + kind.fileTag());
        table.create(CreateSpec.of(file, kind.baseFormat()).withBacking(raw).withOption("geometry", "2/2/32"));
        if (kind == LayerKind.DISK) {
            Files.delete(raw);
        }
        model.wrapBase(file, kind);
    }

    private Path layerFile(LayerKind kind) {
        return dir.resolve("layer" + (model.cowLayers() + 1) + "." + kind.fileTag() + ".cow");
    }

    private byte[] readAll(BlockImage img) throws IOException {
        ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(img.capacity()));
        BlockIo.read(img, 0, all, limit);
        return all.array();
    }

    private String describeOwners(long offset, int length) {
        StringBuilder sb = new StringBuilder();
        List<StackModel.Layer> layers = model.layers();
        for (long s = offset / SECTOR; s < (offset + length) / SECTOR; s++) {
            sb.append(s == offset / SECTOR ? "" : ",").append(layers.get(model.ownerOf(s)).label());
        }
        return sb.toString();
    }

    /** A buffer with {@code pad} guard bytes on each side and {@code data} between position and limit. */
    private static ByteBuffer guarded(byte[] data, int pad) {
        byte[] all = new byte[pad + data.length + pad];
        Arrays.fill(all, GUARD);
        System.arraycopy(data, 0, all, pad, data.length);
        return ByteBuffer.wrap(all).position(pad).limit(pad + data.length);
    }

    /** Whether every byte outside {@code [from, to)} is still the guard. */
    private static boolean guardsIntact(byte[] all, int from, int to) {
        for (int i = 0; i < all.length; i++) {
            if ((i < from || i >= to) && all[i] != GUARD) {
                return false;
            }
        }
        return true;
    }

    private void require(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(model + access.suffix() + ": " + what);
        }
    }

    /** How the top is opened: the kernel's default, its {@code r} flag, its {@code s} flag. */
    enum Access {
        READ_WRITE(""), READ_ONLY(" read-only"), SYNC_WRITES(" with sync writes");

        private final String suffix;

        Access(String suffix) {
            this.suffix = suffix;
        }

        String suffix() {
            return suffix;
        }
    }

    /** The kinds of request, so a test can aim the same bad arguments at each (a discard's length is the buffer's). */
    enum Op {
        READ, WRITE, DISCARD;

        void run(BlockImage image, long offset, ByteBuffer buf, WaitLimit limit) throws IOException {
            switch (this) {
                case READ -> BlockIo.read(image, offset, buf, limit);
                case WRITE -> BlockIo.write(image, offset, buf, limit);
                case DISCARD -> BlockIo.discard(image, offset, buf.remaining(), limit);
                default -> throw new IllegalStateException(name());
            }
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
