package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.cow.testing.OverlappedCow;
import org.ubdjvm.cow.testing.SharedVectors;
import org.ubdjvm.hostio.SyncEngine;

/**
 * {@code check} of UML COW files: what the real tools made is clean; each kind of damage is found without writing,
 * and repaired where that is safe, after which the file opens and checks clean. (Each damage test failed once with
 * its finding's rule removed from UmlCowCheck.)
 */
class UmlCowCheckTest {
    private static final FormatTable TABLE = FormatTable.standard();
    /** V3 over 64 KiB: bitmap at 8192 (16 bytes), data at 12288. */
    private static final long BITMAP = 8192;
    private static final long DATA = 12288;

    @TempDir
    Path dir;

    private static CheckReport check(Path file, boolean repair) throws IOException {
        return TABLE.check(OpenSpec.of(file, new SyncEngine()), repair);
    }

    private Path cowOver(long backingSize) throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), backingSize);
        Path cow = dir.resolve("disk.cow");
        TABLE.create(CreateSpec.of(cow, "cow").withBacking(back));
        return cow;
    }

    private static void write(Path cow, long sector) throws IOException {
        try (BlockImage image = TABLE.open(OpenSpec.of(cow, new SyncEngine()))) {
            BlockIo.write(image, sector * 512, ByteBuffer.wrap(Disks.sector("cow %06d ", sector)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.ubdjvm.cow.SharedVectorsTest#validVectors")
    void whatTheRealToolsMadeIsClean(String file, String backing, String md5, long capacity) throws IOException {
        SharedVectors.copyTo(dir, Stream.of(file, backing).filter(Objects::nonNull).toArray(String[]::new));
        OpenSpec spec = OpenSpec.of(dir.resolve(file), new SyncEngine())
                .withBacking(backing == null ? null : dir.resolve(backing));
        CheckReport report = TABLE.check(spec, false);
        assertTrue(report.clean(), report::toString);
    }

    @Test
    void aFreshImageAndARawFileAreClean() throws IOException {
        Path cow = cowOver(64 * 1024);
        write(cow, 3);
        assertTrue(check(cow, false).clean());
        assertEquals(CheckReport.clean(dir.resolve("back.img"), "raw"), check(dir.resolve("back.img"), false));
    }

    static Stream<Arguments> brokenVectors() {
        return Stream.of(
                Arguments.of("broken-size-mismatch.cow", "Size mismatch (262656 vs 262144) of COW header vs backing file"),
                Arguments.of("broken-mtime-mismatch.cow", "mtime mismatch (1600000000 vs 1700000000) of COW header"),
                Arguments.of("broken-bitmap-short.cow", "bitmap truncated: the file ends at 8224"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenVectors")
    void theBrokenVectorsThatHaveAHeaderAreReportedNotThrown(String file, String finding) throws IOException {
        SharedVectors.copyTo(dir, file, "back-256k.img");
        Path cow = dir.resolve(file);
        String before = SharedVectors.md5(cow);
        CheckReport r = TABLE.check(OpenSpec.of(cow, new SyncEngine()).withBacking(dir.resolve("back-256k.img")), false);
        assertEquals(1, r.corruptions(), r::toString);
        assertTrue(r.messages().get(0).startsWith(finding), r::toString);
        assertEquals(before, SharedVectors.md5(cow), "check without repair wrote");
    }

    @Test
    void aFileWithoutAHeaderCannotBeCheckedAsCow() throws IOException {
        SharedVectors.copyTo(dir, "broken-bad-version.cow");
        Path cow = dir.resolve("broken-bad-version.cow");
        ImageException e = assertThrows(ImageException.class,
                () -> TABLE.check(OpenSpec.of(cow, new SyncEngine()).withFormat("cow"), false));
        assertTrue(e.getMessage().startsWith(cow + ": header field version (offset 4)"), e.getMessage());
    }

    @Test
    void aTruncatedBitmapIsRepairedByExtendingTheFile() throws IOException {
        Path cow = cowOver(64 * 1024);
        truncate(cow, BITMAP + 10);
        assertFoundThenRepaired(cow, "bitmap truncated: the file ends at 8202 but the bitmap needs bytes 8192..8207",
                true);
        assertEquals(DATA + 64 * 1024, Files.size(cow));
    }

    @Test
    void dataPastTheEndOfTheFileIsRepairedByExtendingItAndThenReadsZeros() throws IOException {
        Path cow = cowOver(64 * 1024);
        write(cow, 100);
        truncate(cow, DATA + 50 * 512);
        assertFoundThenRepaired(cow, "data truncated: sector 100 is marked in the bitmap", true);
        try (BlockImage image = TABLE.open(OpenSpec.of(cow, new SyncEngine()))) {
            ByteBuffer b = ByteBuffer.allocate(512);
            BlockIo.read(image, 100 * 512, b);
            assertEquals(ByteBuffer.allocate(512), b.clear());
        }
    }

    @Test
    void bitsPastTheLastSectorAreCleared() throws IOException {
        Path cow = cowOver(263780);                                 // 516 sectors: 4 bits of bitmap byte 64 used
        write(cow, 515);
        try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "rw")) {
            f.seek(BITMAP + 64);
            f.write(0x08 | 0xA0);                                 // sector 515, and two bits past the disk
        }
        assertFoundThenRepaired(cow, "bitmap byte at offset 8256 marks sectors past the end of the disk (516 sectors): "
                + "bits 0xa0", true);
        try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "r")) {
            f.seek(BITMAP + 64);
            assertEquals(0x08, f.read(), "the bit of sector 515 stays");
        }
    }

    @Test
    void bytesPastTheDataAreaAreALeakCutOff() throws IOException {
        Path cow = cowOver(64 * 1024);
        try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "rw")) {
            f.setLength(DATA + 64 * 1024 + 1000);
        }
        assertFoundThenRepaired(cow, "1000 bytes past the end of the data area (offset 77824)", false);
        assertEquals(DATA + 64 * 1024, Files.size(cow));
    }

    @Test
    void aBackingThatChangedIsReportedButNeverRepaired() throws IOException {
        Path cow = cowOver(64 * 1024);
        Files.setLastModifiedTime(dir.resolve("back.img"), FileTime.fromMillis(1_000_000_000_000L));
        String before = SharedVectors.md5(cow);
        CheckReport r = check(cow, true);
        assertEquals(1, r.corruptions(), r::toString);
        assertEquals(1, r.remainingCorruptions(), r::toString);
        assertTrue(r.messages().get(0).startsWith("mtime mismatch ("), r::toString);
        assertEquals(before, SharedVectors.md5(cow));
    }

    @Test
    void aV2WhoseBitmapOverlapsItsDataIsRewrittenAsV3AndReadsTheSame() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), OverlappedCow.SIZE);
        Path cow = OverlappedCow.v2(dir.resolve("v2.cow"), back);
        for (long s : new long[] {0, 1, 100, OverlappedCow.SECTORS - OverlappedCow.OVERLAPPED - 1}) {
            write(cow, s);
        }
        byte[] before = disk(cow);
        Path oldFile = Files.createLink(dir.resolve("old.cow"), cow); // the inode the repair must never write
        String oldMd5 = SharedVectors.md5(cow);

        CheckReport found = check(cow, false);
        assertEquals(1, found.corruptions(), found::toString);
        assertTrue(found.messages().get(0).startsWith("bitmap overlaps data: the bits of sectors 3904..3906 lie at"
                + " offset 4608"), found::toString);
        assertEquals(0, TABLE.check(OpenSpec.of(cow, new SyncEngine()), Repair.LEAKS).corruptionsFixed());
        assertEquals(oldMd5, SharedVectors.md5(cow), "check without -r all wrote");

        CheckReport repaired = TABLE.check(OpenSpec.of(cow, new SyncEngine()), Repair.ALL);
        assertEquals(1, repaired.corruptionsFixed(), repaired::toString);
        assertTrue(check(cow, false).clean(), "clean after repair");
        assertEquals(3, version(cow));
        assertArrayEquals(before, disk(cow), "a sector reads otherwise after the repair");
        assertEquals(oldMd5, SharedVectors.md5(oldFile), "the old file was written: a kill could have left a mix");
        write(cow, OverlappedCow.SECTORS - 1); // V3 has room for the last bits
    }

    @Test
    void withSectorZeroNotInTheCowTheOverlappedByteHoldsTheLastSectorsBits() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), OverlappedCow.SIZE);
        Path cow = OverlappedCow.v2(dir.resolve("v2.cow"), back);
        write(cow, 100);
        long first = OverlappedCow.SECTORS - OverlappedCow.OVERLAPPED;
        try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "rw")) {
            f.seek(OverlappedCow.DATA_OFFSET);
            f.write(0x05);                                          // bits of sectors 3904 and 3906
            for (long s : new long[] {first, first + 2}) {
                f.seek(OverlappedCow.DATA_OFFSET + s * 512);
                f.write(Disks.sector("moved %06d ", s));
            }
        }
        byte[] expected = disk(cow);
        for (long s : new long[] {first, first + 2}) {
            System.arraycopy(Disks.sector("moved %06d ", s), 0, expected, (int) (s * 512), 512);
        }

        assertEquals(1, TABLE.check(OpenSpec.of(cow, new SyncEngine()), Repair.ALL).corruptionsFixed());
        assertArrayEquals(expected, disk(cow), "only the overlapped sectors whose bits were set read otherwise");
    }

    @Test
    void theReportCountsAllocatedSectorsAndWhereTheDataEnds() throws IOException {
        Path cow = cowOver(64 * 1024);
        write(cow, 3);
        write(cow, 7);
        CheckReport r = check(cow, false);
        assertEquals(2, r.allocatedClusters());
        assertEquals(128, r.totalClusters());
        assertEquals(DATA + 8 * 512, r.imageEndOffset());
    }

    private static byte[] disk(Path cow) throws IOException {
        try (BlockImage image = TABLE.open(OpenSpec.of(cow, new SyncEngine()).withReadOnly(true))) {
            ByteBuffer all = ByteBuffer.allocate((int) image.capacity());
            BlockIo.read(image, 0, all);
            return all.array();
        }
    }

    private static int version(Path cow) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "r")) {
            f.seek(4);
            return f.readInt();
        }
    }

    /** Found without writing; repaired; then clean and openable. */
    private static void assertFoundThenRepaired(Path cow, String finding, boolean corruption) throws IOException {
        String before = SharedVectors.md5(cow);
        CheckReport found = check(cow, false);
        assertEquals(corruption ? 1 : 0, found.corruptions(), found::toString);
        assertEquals(corruption ? 0 : 1, found.leaks(), found::toString);
        assertEquals(0, found.corruptionsFixed() + found.leaksFixed(), found::toString);
        assertTrue(found.messages().get(0).startsWith(finding), found::toString);
        assertEquals(before, SharedVectors.md5(cow), "check without repair wrote");

        CheckReport repaired = check(cow, true);
        assertEquals(found.corruptions(), repaired.corruptionsFixed(), repaired::toString);
        assertEquals(found.leaks(), repaired.leaksFixed(), repaired::toString);
        assertTrue(repaired.messages().get(0).contains("(repaired: "), repaired::toString);
        assertTrue(check(cow, false).clean(), "clean after repair");
        TABLE.open(OpenSpec.of(cow, new SyncEngine()).withReadOnly(true)).close();
    }

    private static void truncate(Path file, long length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(length);
        }
    }
}
