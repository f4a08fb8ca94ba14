package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.cow.testing.SharedVectors;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.hostio.testing.ForwardingIoEngine;

/**
 * The probed-raw rule (qemu's CVE-2008-2004 fix): a guest that writes a COW header naming a host file into its raw
 * disk must not get that file on the next probing open. (Broken on purpose once, by never handing the guard to
 * CheckedImage: every refusal here failed.)
 */
class ProbedRawTest {
    private static final FormatTable TABLE = FormatTable.standard();

    @TempDir
    Path dir;

    @Test
    void aCowHeaderIntoAProbedRawImageIsRefusedWithOneWarningAtOpen() throws IOException {
        byte[] header = cowHeaderNaming(Disks.patternedRaw(dir.resolve("secret"), 64 * 1024));
        Path guest = Files.write(dir.resolve("guest.img"), new byte[64 * 1024]);
        List<String> warnings = new ArrayList<>();
        String before = SharedVectors.md5(guest);
        try (BlockImage disk = TABLE.open(OpenSpec.of(guest, new SyncEngine()).withWarnings(warnings::add))) {
            assertEquals(List.of(ProbedRawGuard.warning(guest)), warnings);
            ImageException e = assertThrows(ImageException.class,
                    () -> BlockIo.write(disk, 0, ByteBuffer.wrap(header)));
            assertEquals(guest + ": write of 4608 bytes at offset 0 refused: the image's format was probed as raw, and"
                    + " this would make it probe as cow (CVE-2008-2004); name the format raw to allow it", e.getMessage());
            assertThrows(ImageException.class, () -> BlockIo.write(disk, 0, ByteBuffer.wrap(header, 0, 512)));
            BlockIo.write(disk, 8192, ByteBuffer.wrap(header)); // past the head: nothing to probe there
            BlockIo.write(disk, 0, ByteBuffer.wrap(Disks.sector("guest %d ", 0))); // the head, harmlessly
            BlockIo.discard(disk, 0, 512);
        }
        assertEquals(1, warnings.size(), "one warning, at open");
        byte[] now = Files.readAllBytes(guest);
        assertArrayEquals(new byte[512], Arrays.copyOf(now, 512));
        assertArrayEquals(header, Arrays.copyOfRange(now, 8192, 8192 + header.length));
        assertTrue(!before.equals(SharedVectors.md5(guest)));
        assertEquals("raw", infoFormat(guest));
    }

    @Test
    void namingTheFormatRawAllowsTheWriteAndTheImageStaysRawWhereverItIsNamed() throws IOException {
        byte[] header = cowHeaderNaming(Disks.patternedRaw(dir.resolve("secret"), 64 * 1024));
        Path guest = Files.write(dir.resolve("guest.img"), new byte[64 * 1024]);
        List<String> warnings = new ArrayList<>();
        OpenSpec named = OpenSpec.of(guest, new SyncEngine()).withFormat("raw").withWarnings(warnings::add);
        try (BlockImage disk = TABLE.open(named)) {
            BlockIo.write(disk, 0, ByteBuffer.wrap(header));
        }
        try (BlockImage disk = TABLE.open(named.withReadOnly(true))) {
            assertEquals("raw", disk.info().format());
            assertEquals(64 * 1024, disk.size());
            ByteBuffer back = ByteBuffer.allocate(header.length);
            BlockIo.read(disk, 0, back);
            assertArrayEquals(header, back.array());
        }
        assertEquals(List.of(), warnings, "a named format gets no warning");
        assertEquals("cow", infoFormat(guest), "why the rule exists: probed now, it is a COW over the secret");
    }

    @Test
    void aReadOnlyProbedOpenIsNotWarnedAbout() throws IOException {
        Path guest = Files.write(dir.resolve("guest.img"), new byte[4096]);
        List<String> warnings = new ArrayList<>();
        TABLE.open(OpenSpec.of(guest, new SyncEngine()).withReadOnly(true).withWarnings(warnings::add)).close();
        assertEquals(List.of(), warnings);
    }

    /**
     * A write the guard allows whole but which, torn after its first sector by a crash, would leave a head another
     * format claims: refused as well.
     */
    @Test
    void aWriteIsCheckedAtEverySectorItCouldTearAt() throws IOException {
        byte[] image = new byte[8192];
        System.arraycopy(TwoSectorFormat.SECOND, 0, image, 512, 4);
        Path guest = Files.write(dir.resolve("guest.img"), image);
        try (BlockImage disk = TwoSectorFormat.TABLE.open(OpenSpec.of(guest, new SyncEngine()))) {
            byte[] write = new byte[1024]; // first sector claimed alone, second clears the claim: fine only whole
            System.arraycopy(TwoSectorFormat.FIRST, 0, write, 0, 4);
            ImageException e = assertThrows(ImageException.class, () -> BlockIo.write(disk, 0, ByteBuffer.wrap(write)));
            assertTrue(e.getMessage().contains("would make it probe as two"), e.getMessage());
        }
        assertArrayEquals(image, Files.readAllBytes(guest));
    }

    /**
     * Two head writes each harmless alone, together a header: the second waits for the first and is checked
     * against what the first left, so they cannot interleave into a header neither was checked as.
     */
    @Test
    void headWritesGoOneAtATimeEachCheckedAgainstWhatThePreviousLeft() throws IOException {
        Path guest = Files.write(dir.resolve("guest.img"), new byte[8192]);
        HoldingEngine engine = new HoldingEngine();
        try (BlockImage disk = TwoSectorFormat.TABLE.open(OpenSpec.of(guest, engine))) {
            engine.holding = true;
            Outcome first = new Outcome();
            Outcome second = new Outcome();
            disk.write(0, sectorStarting(TwoSectorFormat.FIRST), first);
            disk.write(512, sectorStarting(TwoSectorFormat.SECOND), second);
            assertEquals(1, engine.held.size(), "the second head write reached the engine before the first landed");
            engine.holding = false;
            engine.release(null);
            assertEquals(null, first.error);
            assertTrue(second.error.getMessage().contains("would make it probe as two"), second.error.getMessage());
        }
        assertArrayEquals(new byte[512], Arrays.copyOfRange(Files.readAllBytes(guest), 512, 1024));
    }

    @Test
    void afterAHeadWriteFailsLaterHeadWritesAreRefused() throws IOException {
        Path guest = Files.write(dir.resolve("guest.img"), new byte[8192]);
        HoldingEngine engine = new HoldingEngine();
        try (BlockImage disk = TwoSectorFormat.TABLE.open(OpenSpec.of(guest, engine))) {
            engine.holding = true;
            Outcome failed = new Outcome();
            disk.write(0, ByteBuffer.allocate(512), failed);
            engine.holding = false;
            engine.release(new IOException("EIO"));
            ImageException e = assertThrows(ImageException.class, () -> BlockIo.write(disk, 512, ByteBuffer.allocate(512)));
            assertTrue(e.getMessage().endsWith("refused: an earlier write to the first sectors failed, so what they hold"
                    + " is unknown; open the image again"), e.getMessage());
            BlockIo.write(disk, 4608, ByteBuffer.allocate(512)); // past the head: as ever
        }
    }

    private static ByteBuffer sectorStarting(byte[] start) {
        byte[] s = new byte[512];
        System.arraycopy(start, 0, s, 0, start.length);
        return ByteBuffer.wrap(s);
    }

    /** The first 4608 bytes of a new V3 COW file over {@code secret}: what a hostile guest writes. */
    private byte[] cowHeaderNaming(Path secret) throws IOException {
        Path evil = dir.resolve("evil.cow");
        TABLE.create(CreateSpec.of(evil, "cow").withBacking(secret));
        return Arrays.copyOf(Files.readAllBytes(evil), ProbeBytes.PROBE_LENGTH);
    }

    private static String infoFormat(Path file) throws IOException {
        try (BlockImage disk = TABLE.open(OpenSpec.of(file, new SyncEngine()).withReadOnly(true))) {
            return disk.info().format();
        }
    }

    private static final class Outcome implements IoCompletion {
        IOException error;

        @Override
        public void done(long result, IOException e) {
            error = e;
        }
    }

    /** The sync engine, but writes wait while {@link #holding} until {@link #release} lands or fails them. */
    private static final class HoldingEngine extends ForwardingIoEngine {
        volatile boolean holding;
        final List<Runnable> held = new ArrayList<>();
        final List<IoCompletion> heldDone = new ArrayList<>();

        HoldingEngine() {
            super(new SyncEngine());
        }

        @Override
        public void write(HostFile file, ByteBuffer src, long position, IoCompletion done) {
            if (!holding) {
                super.write(file, src, position, done);
                return;
            }
            held.add(() -> super.write(file, src, position, done));
            heldDone.add(done);
        }

        void release(IOException failure) {
            for (int i = 0; i < held.size(); i++) {
                if (failure == null) {
                    held.get(i).run();
                } else {
                    heldDone.get(i).done(0, failure);
                }
            }
            held.clear();
            heldDone.clear();
        }
    }

    /** A format that claims a file whose first two sectors start with {@link #FIRST} and {@link #SECOND}. */
    private record TwoSectorFormat() implements ImageFormat {
        static final byte[] FIRST = "TWO1".getBytes(StandardCharsets.US_ASCII);
        static final byte[] SECOND = "TWO2".getBytes(StandardCharsets.US_ASCII);
        static final FormatTable TABLE = new FormatTable(List.of(new RawFormat(), new TwoSectorFormat()));

        @Override
        public String name() {
            return "two";
        }

        @Override
        public boolean probe(ProbeBytes head) {
            byte[] b = head.bytes();
            return b.length >= 516 && Arrays.equals(b, 0, 4, FIRST, 0, 4) && Arrays.equals(b, 512, 516, SECOND, 0, 4);
        }

        @Override
        public BlockImage open(OpenSpec spec, FormatTable table) {
            throw new UnsupportedOperationException();
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
            throw new UnsupportedOperationException();
        }
    }
}
