package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.hostio.testing.ForwardingIoEngine;

/** What {@link FormatTable} does for every format, so no format has to: options, the request check, batching. */
class FormatContractTest {
    private static final FormatTable TABLE = FormatTable.standard();

    @TempDir
    Path dir;

    @Test
    void eachFormatDeclaresItsCreateOptionsAndTheTableRefusesAnyOtherBeforeWritingAnything() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        assertEquals(List.of("version", "old64", "sector-size", "alignment", "pad", "keep-name", "cow-format"),
                TABLE.byName("cow").createOptions().stream().map(CreateOption::name).toList());
        assertEquals(List.of(), TABLE.byName("raw").createOptions());
        CreateSpec cow = CreateSpec.of(dir.resolve("new.cow"), "cow").withBacking(back);

        refused(() -> TABLE.create(cow.withOption("cluster_size", "64k")),
                "new.cow: format cow has no option 'cluster_size' (known: version, old64, sector-size, alignment, pad, keep-name, cow-format)");
        refused(() -> TABLE.create(CreateSpec.of(dir.resolve("new.cow"), "raw").withSize(512).withOption("version", "3")),
                "new.cow: format raw has no option 'version' (it takes none)");
        refused(() -> TABLE.create(cow.withOption("version", "three")), "new.cow: option version=three: not a number");
        refused(() -> TABLE.create(cow.withOption("old64", "maybe")), "new.cow: option old64=maybe: not on or off");
        refused(() -> TABLE.create(cow.withOption("cow-format", "btree")), "option cow-format=btree: known: bitmap, isam");
        refused(() -> TABLE.create(cow.withOptions(Map.of("version", "2", "cow-format", "isam"))),
                "cow_format isam exists in the V3 header only (version 3 or 4, no old64)");
        refused(() -> TABLE.create(cow.withOptions(Map.of("version", "2", "old64", "on"))),
                "old64 (the V3-old64 layout) exists for version 3 only, not 2");

        TABLE.create(cow.withOption("old64", "on"));
        try (BlockImage image = TABLE.open(OpenSpec.of(cow.file(), new SyncEngine()))) {
            assertEquals("V3-old64", image.info().formatSpecific().get("layout"));
        }
    }

    private void refused(Executable create, String message) {
        ImageException e = assertThrows(ImageException.class, create);
        assertTrue(e.getMessage().endsWith(message), e.getMessage());
        assertFalse(Files.exists(dir.resolve("new.cow")), "nothing created");
    }

    /**
     * A format that checks nothing still never sees a bad request: the table checks them all. (Broken on purpose
     * once, by returning the format's image unwrapped from FormatTable.open: this test failed.)
     */
    @Test
    void theTableChecksEveryRequestBeforeAnyFormatSeesIt() throws IOException {
        Path file = Files.write(dir.resolve("spy.img"), new byte[0]);
        List<String> seen = new ArrayList<>();
        FormatTable table = new FormatTable(List.of(new RawFormat(), new SpyFormat(seen)));
        try (BlockImage image = table.open(OpenSpec.of(file, new SyncEngine()).withFormat("spy").withReadOnly(true))) {
            String name = file.toString();
            bad(() -> BlockIo.read(image, 100, ByteBuffer.allocate(512)), name + ": offset 100 is not a multiple");
            bad(() -> BlockIo.read(image, 0, ByteBuffer.allocate(100)), name + ": length 100 is not a multiple");
            bad(() -> BlockIo.read(image, 64 * 1024, ByteBuffer.allocate(512)), name + ": request 65536+512 ends past");
            bad(() -> BlockIo.read(image, Long.MAX_VALUE - 511, ByteBuffer.allocate(512)), "ends past the end");
            bad(() -> BlockIo.write(image, 0, ByteBuffer.allocate(512)), name + ": write at offset 0 refused: image is"
                    + " open read-only");
            bad(() -> BlockIo.discard(image, 0, 512), "read-only");
            bad(() -> image.allocation(512, 0), "allocation query of 0 bytes");
            bad(() -> image.allocation(0, 128 * 1024), "past the end");
            assertEquals(List.of(), seen, "the format saw a bad request");

            BlockIo.read(image, 512, ByteBuffer.allocate(1024));
            assertEquals(new Allocation(0, 64 * 1024, 0), image.allocation(0, 64 * 1024));
            assertEquals(List.of("read 512+1024", "allocation 0+65536"), seen);
        }
    }

    private static void bad(Executable request, String message) {
        ImageException e = assertThrows(ImageException.class, request);
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    /** plug()/unplug() on the top of a stack reach the engine under every layer; the caller never sees an engine. */
    @Test
    void plugOnTheImageReachesTheEngineBelowEveryLayer() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = dir.resolve("top.cow");
        TABLE.create(CreateSpec.of(cow, "cow").withBacking(back));
        CountingEngine engine = new CountingEngine();
        try (BlockImage image = TABLE.open(OpenSpec.of(cow, engine))) {
            image.plug();
            assertTrue(engine.plugs > 0 && engine.unplugs == 0, "plugged: " + engine.plugs + "/" + engine.unplugs);
            image.unplug();
            assertTrue(engine.unplugs > 0, "unplugged");
        }
    }

    /** A format that records what reaches it and checks nothing itself. */
    private record SpyFormat(List<String> seen) implements ImageFormat {
        @Override
        public String name() {
            return "spy";
        }

        @Override
        public boolean probe(ProbeBytes head) {
            return false;
        }

        @Override
        public BlockImage open(OpenSpec spec, FormatTable table) {
            return new SpyImage(seen, spec.readOnly());
        }

        @Override
        public List<CreateOption> createOptions() {
            return List.of();
        }

        @Override
        public void create(CreateSpec spec, FormatTable table) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CheckReport check(OpenSpec spec, boolean repair, FormatTable table) {
            return CheckReport.clean(spec.file(), name());
        }
    }

    private record SpyImage(List<String> seen, boolean readOnly) implements BlockImage {
        @Override
        public long size() {
            return 64 * 1024;
        }

        @Override
        public int sectorSize() {
            return 512;
        }

        @Override
        public void read(long offset, ByteBuffer dst, IoCompletion done) {
            seen.add("read " + offset + "+" + dst.remaining());
            done.done(dst.remaining(), null);
        }

        @Override
        public void write(long offset, ByteBuffer src, IoCompletion done) {
            seen.add("write " + offset + "+" + src.remaining());
            done.done(src.remaining(), null);
        }

        @Override
        public void discard(long offset, long length, IoCompletion done) {
            seen.add("discard " + offset + "+" + length);
            done.done(length, null);
        }

        @Override
        public void flush(IoCompletion done) {
            done.done(0, null);
        }

        @Override
        public Allocation allocation(long offset, long length) {
            seen.add("allocation " + offset + "+" + length);
            return new Allocation(offset, length, 0);
        }

        @Override
        public void plug() {
        }

        @Override
        public void unplug() {
        }

        @Override
        public int cancelOlderThan(java.time.Duration age) {
            seen.add("cancel " + age);
            return 0;
        }

        @Override
        public ImageInfo info() {
            return null;
        }

        @Override
        public void close() {
        }
    }

    /** The sync engine, counting plug and unplug calls. */
    private static final class CountingEngine extends ForwardingIoEngine {
        int plugs;
        int unplugs;

        CountingEngine() {
            super(new SyncEngine());
        }

        @Override
        public void plug() {
            plugs++;
            super.plug();
        }

        @Override
        public void unplug() {
            unplugs++;
            super.unplug();
        }
    }
}
