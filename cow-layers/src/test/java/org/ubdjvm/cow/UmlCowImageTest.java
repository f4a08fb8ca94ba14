package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.cow.testing.RecordingEngine;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.OpenMode;
import org.ubdjvm.hostio.SyncEngine;

class UmlCowImageTest {
    private static final FormatTable TABLE = FormatTable.standard();

    @TempDir
    Path dir;

    private Path cowOver(Path backing, int version) throws IOException {
        Path cow = dir.resolve("v" + version + "-" + backing.getFileName() + ".cow");
        TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(backing).withOption("version", "" + version));
        return cow;
    }

    private static BlockImage open(Path file, boolean readOnly) throws IOException {
        return TABLE.open(OpenSpec.of(file, new SyncEngine()).withReadOnly(readOnly));
    }

    private static byte[] read(BlockImage image, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        BlockIo.read(image, offset, b);
        return b.array();
    }

    @ParameterizedTest(name = "V{0}")
    @ValueSource(ints = {1, 2, 3})
    void writesSurviveReopenAndMixedReadsServeEachRunFromItsLayer(int version) throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = cowOver(back, version);
        try (BlockImage image = open(cow, false)) {
            BlockIo.write(image, 1 * 512, ByteBuffer.wrap(Disks.sector("cow %06d ", 1)));
            BlockIo.write(image, 5 * 512, ByteBuffer.wrap(Disks.sector("cow %06d ", 5)));
        }
        try (BlockImage image = open(cow, true)) {
            // One 4 KiB read over sectors 0..7: backing, cow, backing x3, cow, backing x2. The 6.1 kernel
            // advances its buffer by the last run only when one page mixes both and gets this wrong.
            byte[] page = read(image, 0, 4096);
            for (int s = 0; s < 8; s++) {
                String expected = (s == 1 || s == 5) ? "cow %06d " : "back %06d ";
                assertArrayEquals(Disks.sector(expected, s), java.util.Arrays.copyOfRange(page, s * 512, s * 512 + 512),
                        "sector " + s);
            }
            assertEquals(2 * 512L, image.info().allocatedBytes());
        }
    }

    /**
     * A read crossing hundreds of runs (every third sector written, in the first half only, so the COW file ends
     * before the read does) is served by one read of each file, and every sector still comes from its own layer.
     * (Broken on purpose once by skipping the copy of the COW's runs: sector 0 read "back 000000".)
     */
    @Test
    void aReadAcrossManyRunsReadsEachFileOnceAndEachSectorFromItsLayer() throws IOException {
        int sectors = 2048;
        Path back = Disks.patternedRaw(dir.resolve("back.img"), sectors * 512L);
        Path cow = cowOver(back, 3);
        try (BlockImage image = open(cow, false)) {
            for (int s = 0; s < sectors / 2; s += 3) {
                BlockIo.write(image, s * 512L, ByteBuffer.wrap(Disks.sector("cow %06d ", s)));
            }
        }
        RecordingEngine engine = new RecordingEngine();
        try (BlockImage image = TABLE.open(OpenSpec.of(cow, engine).withReadOnly(true))) {
            engine.clear();
            ByteBuffer all = ByteBuffer.allocateDirect(sectors * 512);
            BlockIo.read(image, 0, all);
            for (int s = 0; s < sectors; s++) {
                byte[] got = new byte[512];
                all.get(s * 512, got);
                String expected = s < sectors / 2 && s % 3 == 0 ? "cow %06d " : "back %06d ";
                assertArrayEquals(Disks.sector(expected, s), got, "sector " + s);
            }
            assertEquals(List.of("read " + back.getFileName(), "read " + cow.getFileName()), engine.calls().stream()
                    .map(c -> c.op() + " " + c.file()).sorted().toList(), "one read of each file");
        }
    }

    @Test
    void theV3Old64LayoutCanBeCreatedAndReadsAndWritesLikeTheKernelRecoversIt() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = dir.resolve("old.cow");
        List<String> warnings = new ArrayList<>();
        TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(back).withOption("old64", "on").withWarnings(warnings::add));
        assertTrue(warnings.get(0).contains("V3-old64 is obsolete"), warnings.toString());
        byte[] raw = Files.readAllBytes(cow);
        assertEquals(0, ByteBuffer.wrap(raw, 32, 4).getInt(), "cow_format at 32, where a packed V3 has its path");
        assertEquals(back.toString().charAt(0), (char) raw[36], "backing path at 36");
        try (BlockImage image = open(cow, false)) {
            assertEquals("V3-old64", image.info().formatSpecific().get("layout"));
            BlockIo.write(image, 512, ByteBuffer.wrap(Disks.sector("cow %06d ", 1)));
        }
        try (BlockImage image = open(cow, true)) {
            assertArrayEquals(Disks.sector("cow %06d ", 1), read(image, 512, 512));
            assertArrayEquals(Disks.sector("back %06d ", 2), read(image, 1024, 512));
        }
    }

    @Test
    void dataIsSyncedBeforeTheBitmapThatPointsAtIt() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = cowOver(back, 3);
        RecordingEngine engine = new RecordingEngine();
        try (BlockImage image = TABLE.open(OpenSpec.of(cow, engine))) {
            engine.clear();
            BlockIo.write(image, 8 * 512, ByteBuffer.wrap(new byte[1024]));
            BlockIo.flush(image);
            List<String> trace = engine.calls().stream().map(RecordingEngine.Call::toString).collect(Collectors.toList());
            long data = 12288 + 8 * 512;
            assertEquals(List.of(
                    "write " + cow.getFileName() + " @" + data + "+1024",
                    "datasync " + cow.getFileName(),
                    "write " + cow.getFileName() + " @8192+16",     // the bitmap's page (16 bytes: 128 sectors)
                    "datasync " + cow.getFileName()), trace);
            engine.clear();
            BlockIo.flush(image);
            assertEquals(List.of("datasync " + cow.getFileName()), engine.calls().stream()
                    .map(RecordingEngine.Call::toString).collect(Collectors.toList()), "nothing dirty: no bitmap write");
        }
        byte[] raw = Files.readAllBytes(cow);
        assertEquals(0b11, raw[8193], "bits 8 and 9 on disk");
    }

    /** A discard is a write for durability: the hole reaches the host before the bits that make it read as zeros. */
    @Test
    void aHoleIsSyncedBeforeTheBitmapThatPointsAtIt() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = cowOver(back, 3);
        RecordingEngine engine = new RecordingEngine();
        try (BlockImage image = TABLE.open(OpenSpec.of(cow, engine))) {
            engine.clear();
            BlockIo.discard(image, 16 * 512, 4096);
            BlockIo.flush(image);
            List<String> trace = engine.calls().stream().map(RecordingEngine.Call::toString).collect(Collectors.toList());
            assertEquals(List.of(
                    "punch-hole " + cow.getFileName() + " @" + (12288 + 16 * 512) + "+4096",
                    "datasync " + cow.getFileName(),
                    "write " + cow.getFileName() + " @8192+16",     // the bitmap's page
                    "datasync " + cow.getFileName()), trace);
        }
    }

    @Test
    void syncWritesPersistTheBitmapBeforeTheWriteCompletes() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = cowOver(back, 3);
        try (BlockImage image = TABLE.open(OpenSpec.of(cow, new SyncEngine()).withSyncWrites(true))) {
            BlockIo.write(image, 0, ByteBuffer.wrap(new byte[512]));
            assertEquals(1, Files.readAllBytes(cow)[8192], "bit 0 on disk while the image is still open");
        }
    }

    @ParameterizedTest(name = "V{0}")
    @ValueSource(ints = {1, 2, 3})
    void aDiscardedRangeReadsZerosNotTheBackingAndStaysSo(int version) throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = cowOver(back, version);
        try (BlockImage image = open(cow, false)) {
            BlockIo.write(image, 8 * 512, ByteBuffer.wrap(Disks.sector("cow %06d ", 8)));
            BlockIo.discard(image, 6 * 512, 4 * 512);               // sectors 6..9: backing, backing, cow, backing
            assertArrayEquals(new byte[4 * 512], read(image, 6 * 512, 4 * 512));
        }
        try (BlockImage image = open(cow, true)) {
            assertArrayEquals(new byte[4 * 512], read(image, 6 * 512, 4 * 512));
            assertArrayEquals(Disks.sector("back %06d ", 5), read(image, 5 * 512, 512));
            assertArrayEquals(Disks.sector("back %06d ", 10), read(image, 10 * 512, 512));
            assertEquals(4 * 512L, image.info().allocatedBytes());
            assertTrue(assertThrows(ImageException.class, () -> BlockIo.discard(image, 0, 512)).getMessage().contains("read-only"));
        }
    }

    @Test
    void aRawDiscardReadsZerosAndKeepsTheSize() throws IOException {
        Path raw = Disks.patternedRaw(dir.resolve("raw.img"), 64 * 1024);
        try (BlockImage image = open(raw, false)) {
            BlockIo.discard(image, 4096, 8192);
            assertArrayEquals(new byte[8192], read(image, 4096, 8192));
            assertArrayEquals(Disks.sector("back %06d ", 7), read(image, 7 * 512, 512));
            assertArrayEquals(Disks.sector("back %06d ", 24), read(image, 24 * 512, 512));
        }
        assertEquals(64 * 1024, Files.size(raw));
    }

    @Test
    void badRequestsFailAndTouchNothing() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = cowOver(back, 3);
        byte[] before = Files.readAllBytes(cow);
        try (BlockImage image = open(cow, false)) {
            assertTrue(assertThrows(ImageException.class, () -> BlockIo.write(image, 100, ByteBuffer.allocate(512)))
                    .getMessage().contains("offset 100 is not a multiple of the sector size 512"));
            assertTrue(assertThrows(ImageException.class, () -> BlockIo.write(image, 0, ByteBuffer.allocate(100)))
                    .getMessage().contains("length 100"));
            assertTrue(assertThrows(ImageException.class, () -> BlockIo.read(image, 64 * 1024, ByteBuffer.allocate(512)))
                    .getMessage().contains("past the end of the device"));
        }
        try (BlockImage image = open(cow, true)) {
            assertTrue(assertThrows(ImageException.class, () -> BlockIo.write(image, 0, ByteBuffer.allocate(512)))
                    .getMessage().contains("read-only"));
        }
        assertArrayEquals(before, Files.readAllBytes(cow));
    }

    @Test
    void oddSizedDiskReadsZerosPastTheBackingAndTakesAWriteInItsLastSector() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("odd.img"), 263780);
        Path cow = cowOver(back, 3);
        try (BlockImage image = open(cow, false)) {
            assertEquals(516 * 512L, image.capacity());
            byte[] last = read(image, 515 * 512, 512);
            assertArrayEquals(java.util.Arrays.copyOf(Disks.sector("back %06d ", 515), 100), java.util.Arrays.copyOf(last, 100));
            assertArrayEquals(new byte[412], java.util.Arrays.copyOfRange(last, 100, 512));
            BlockIo.write(image, 515 * 512, ByteBuffer.wrap(Disks.sector("cow %06d ", 515)));
        }
        try (BlockImage image = open(cow, true)) {
            assertArrayEquals(Disks.sector("cow %06d ", 515), read(image, 515 * 512, 512));
        }
    }

    @ParameterizedTest(name = "V{0}")
    @ValueSource(ints = {1, 2})
    void obsoleteVersionsWarnAndRefuseSizesTheirBitmapCannotDescribe(int version) throws IOException {
        List<String> warnings = new ArrayList<>();
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        TABLE.create(CreateSpec.of(dir.resolve("ok.cow"), UmlCowFormat.NAME).withBacking(back)
                .withOption("version", "" + version).withWarnings(warnings::add));
        assertTrue(warnings.get(0).contains("obsolete"), warnings.toString());
        Path odd = Disks.patternedRaw(dir.resolve("odd.img"), 263780);
        ImageException e = assertThrows(ImageException.class, () ->
                TABLE.create(CreateSpec.of(dir.resolve("odd.cow"), UmlCowFormat.NAME).withBacking(odd)
                        .withOption("version", "" + version)));
        assertTrue(e.getMessage().contains("rounding bug"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("odd.cow")), "nothing left behind");
    }

    @Test
    void v2WithTheRoundingBugRefusesSectorsItsBitmapLacks() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("odd.img"), 263780);
        // What an old tool made: a V2 header over a size that is not a multiple of 8 sectors (bitmap 64 bytes for 516 sectors).
        UmlCowHeader h = new UmlCowHeader(UmlCowLayout.V2, Files.getLastModifiedTime(back).to(java.util.concurrent.TimeUnit.SECONDS),
                263780, 512, 512, 0, back.toString());
        Path cow = dir.resolve("v2odd.cow");
        Files.write(cow, h.encode(cow));
        extendSparse(cow, h.dataOffset() + h.size());
        try (BlockImage image = open(cow, false)) {
            BlockIo.write(image, 511 * 512, ByteBuffer.allocate(512));
            ImageException e = assertThrows(ImageException.class, () -> BlockIo.write(image, 512 * 512, ByteBuffer.allocate(512)));
            assertTrue(e.getMessage().contains("sector 512 cannot be written"), e.getMessage());
        }
    }

    @ParameterizedTest(name = "V{0}")
    @ValueSource(ints = {1, 2, 3})
    void switchingTheBackingFileRewritesTheHeaderInItsOwnVersion(int version) throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = cowOver(back, version);
        try (BlockImage image = open(cow, false)) {
            BlockIo.write(image, 0, ByteBuffer.wrap(Disks.sector("cow %06d ", 0)));
        }
        Path moved = Files.createDirectory(dir.resolve("moved")).resolve("back.img");
        Files.copy(back, moved);
        Files.setLastModifiedTime(moved, Files.getLastModifiedTime(back));
        Files.delete(back);
        List<String> warnings = new ArrayList<>();
        try (BlockImage image = TABLE.open(OpenSpec.of(cow, new SyncEngine()).withBacking(moved).withWarnings(warnings::add))) {
            assertEquals(moved.toString(), image.info().backingFilename());
        }
        assertTrue(warnings.get(0).startsWith("Backing file mismatch - \"" + moved + "\" requested"), warnings.toString());
        assertTrue(warnings.get(1).startsWith("Switching backing file to '" + moved + "'"), warnings.toString());
        try (BlockImage image = open(cow, true)) { // no -b: the header now names the moved file
            assertEquals(version, image.info().formatSpecific().get("version"));
            assertArrayEquals(Disks.sector("cow %06d ", 0), read(image, 0, 512));
            assertArrayEquals(Disks.sector("back %06d ", 1), read(image, 512, 512));
        }
    }

    @Test
    void theSameBackingUnderAnotherNameIsNoSwitch() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = cowOver(back, 3);
        Path link = Files.createSymbolicLink(dir.resolve("link.img"), back);
        byte[] before = Files.readAllBytes(cow);
        List<String> warnings = new ArrayList<>();
        for (Path same : List.of(link, dir.resolve(".").resolve("back.img"))) {
            try (BlockImage image = TABLE.open(OpenSpec.of(cow, new SyncEngine()).withBacking(same).withWarnings(warnings::add))) {
                assertEquals(back.toString(), image.info().backingFilename());
            }
        }
        assertEquals(List.of(), warnings);
        assertArrayEquals(before, Files.readAllBytes(cow));
    }

    @Test
    void aSwitchToABackingThatFailsTheChecksChangesNothing() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = cowOver(back, 3);
        Path other = Disks.patternedRaw(dir.resolve("other.img"), 64 * 1024);
        Files.setLastModifiedTime(other, FileTime.fromMillis(Files.getLastModifiedTime(back).toMillis() + 5000));
        byte[] before = Files.readAllBytes(cow);
        ImageException e = assertThrows(ImageException.class,
                () -> TABLE.open(OpenSpec.of(cow, new SyncEngine()).withBacking(other)).close());
        assertTrue(e.getMessage().contains("mtime mismatch"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(cow));
    }

    @Test
    void aRelativeBackingNameIsTakenFromTheCowFilesDirectory() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path back = Disks.patternedRaw(sub.resolve("back.img"), 64 * 1024);
        UmlCowHeader h = new UmlCowHeader(UmlCowLayout.V3, Files.getLastModifiedTime(back).to(java.util.concurrent.TimeUnit.SECONDS),
                64 * 1024, 512, 4096, 0, "back.img");
        Path cow = sub.resolve("rel.cow");
        Files.write(cow, h.encode(cow));
        extendSparse(cow, h.dataOffset() + h.size());
        try (BlockImage image = open(cow, true)) {
            assertArrayEquals(Disks.sector("back %06d ", 3), read(image, 3 * 512, 512));
        }
    }

    @Test
    void aLoopOfBackingFilesFailsInsteadOfRecursing() throws IOException {
        Path a = dir.resolve("a.cow");
        Path b = dir.resolve("b.cow");
        for (Path[] pair : new Path[][] {{a, b}, {b, a}}) {
            UmlCowHeader h = new UmlCowHeader(UmlCowLayout.V3, 0, 4096, 512, 4096, 0, pair[1].toString());
            Files.write(pair[0], h.encode(pair[0]));
            extendSparse(pair[0], h.dataOffset() + h.size());
        }
        ImageException e = assertThrows(ImageException.class, () -> open(a, true).close());
        assertTrue(e.getMessage().contains("backing chain deeper than"), e.getMessage());
    }

    @Test
    void aMissingBackingFileIsNamed() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = cowOver(back, 3);
        Files.delete(back);
        ImageException e = assertThrows(ImageException.class, () -> open(cow, true).close());
        assertEquals(cow + ": backing file \"" + back + "\": no such file", e.getMessage());
    }

    /** Grows a hand-made COW file to data_off + size, as uml_mkcow does. */
    private static void extendSparse(Path file, long length) throws IOException {
        try (HostFile f = HostFile.open(file, OpenMode.READ_WRITE)) {
            f.extendSparse(length);
        }
    }
}
