package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.SyncEngine;

/** The allocation query: which layer of a stack holds each run of the disk. */
class AllocationTest {
    private static final FormatTable TABLE = FormatTable.standard();
    private static final int S = 512;

    @TempDir
    Path dir;

    private static BlockImage open(Path file) throws IOException {
        return TABLE.open(OpenSpec.of(file, new SyncEngine()));
    }

    private static Allocation run(long fromSector, long sectors, int depth) {
        return new Allocation(fromSector * S, sectors * S, depth);
    }

    /** Written while each was the top: V2 over raw holds 4..7, V3 over that holds 6..9 and a discarded 20..21. */
    @Test
    void eachRunOfAThreeLayerStackNamesTheLayerItIsReadFrom() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path mid = dir.resolve("mid.cow");
        Path top = dir.resolve("top.cow");
        TABLE.create(CreateSpec.of(mid, "cow").withBacking(back).withOption("version", "2"));
        try (BlockImage image = open(mid)) {
            BlockIo.write(image, 4 * S, ByteBuffer.allocate(4 * S));
        }
        TABLE.create(CreateSpec.of(top, "cow").withBacking(mid));
        try (BlockImage image = open(top)) {
            BlockIo.write(image, 6 * S, ByteBuffer.allocate(4 * S));
            BlockIo.discard(image, 20 * S, 2 * S);
            List<Allocation> expected = List.of(run(0, 4, 2), run(4, 2, 1), run(6, 4, 0), run(10, 10, 2),
                    run(20, 2, 0), run(22, 128 - 22, 2));
            assertEquals(expected, image.allocationMap(0, 64 * 1024));
            assertEquals(run(7, 3, 0), image.allocation(7 * S, 5 * S), "a run ends where its layer changes");
            assertEquals(run(11, 2, 2), image.allocation(11 * S, 2 * S), "and at the end of the range asked");
        }
        try (BlockImage raw = open(back)) {
            assertEquals(List.of(run(0, 128, 0)), raw.allocationMap(0, 64 * 1024));
        }
    }

    /**
     * A 4096-byte-sector COW over a 512-byte-sector raw disk of 12800 bytes: its last sector is 512 bytes of the
     * backing and 3584 bytes past the backing's end, and is reported whole, as the backing's.
     */
    @Test
    void aSectorThatMixesTheBackingAndZerosIsReportedAsTheBackings() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 12800);
        Path cow = dir.resolve("big-sectors.cow");
        UmlCowHeader h = new UmlCowHeader(UmlCowLayout.V3, HostFile.mtimeSeconds(back), 12800, 4096, 4096, 0,
                back.toAbsolutePath().toString());
        Files.write(cow, h.encode(cow));
        try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "rw")) {
            f.setLength(h.dataOffset() + h.size());
        }
        try (BlockImage image = open(cow)) {
            assertEquals(16384, image.capacity());
            assertEquals(new Allocation(12288, 4096, 1), image.allocation(12288, 4096));
            assertEquals(List.of(new Allocation(0, 16384, 1)), image.allocationMap(0, 16384));
            BlockIo.write(image, 4096, ByteBuffer.allocate(4096));
            assertEquals(List.of(new Allocation(0, 4096, 1), new Allocation(4096, 4096, 0), new Allocation(8192, 8192, 1)),
                    image.allocationMap(0, 16384));
            ByteBuffer last = ByteBuffer.allocate(4096);
            BlockIo.read(image, 12288, last);
            assertArrayEquals(Disks.sector("back %06d ", 24), java.util.Arrays.copyOf(last.array(), 512));
            assertArrayEquals(new byte[3584], java.util.Arrays.copyOfRange(last.array(), 512, 4096));
        }
    }
}
