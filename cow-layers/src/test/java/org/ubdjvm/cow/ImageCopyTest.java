package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.SyncEngine;

/** The image-to-image copy behind {@code ubd convert}: every byte, and no work where the allocation says none. */
class ImageCopyTest {
    private static final FormatTable TABLE = FormatTable.standard();
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private static byte[] whole(BlockImage image) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) image.capacity());
        BlockIo.read(image, 0, all);
        return all.array();
    }

    @Test
    void aStackConvertsToARawImageWithTheSameBytes() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 3 * MIB + 5000);
        Path cow = dir.resolve("top.cow");
        TABLE.create(CreateSpec.of(cow, "cow").withBacking(back));
        Path out = dir.resolve("out.img");
        try (SyncEngine engine = new SyncEngine();
             BlockImage disk = TABLE.open(OpenSpec.of(cow, engine))) {
            BlockIo.write(disk, MIB + 512, ByteBuffer.wrap(Disks.sector("cow %06d ", 1)));
            BlockIo.discard(disk, 2 * MIB, MIB);
            ImageCopy.convert(disk, out, "raw", TABLE, engine, w -> { });
            try (BlockImage copy = TABLE.open(OpenSpec.of(out, engine).withReadOnly(true))) {
                assertEquals(disk.capacity(), copy.capacity());
                assertArrayEquals(whole(disk), whole(copy));
            }
        }
        assertEquals(List.of("back.img", "out.img", "top.cow"), names(), "no temporary file left");
    }

    /**
     * Ranges no layer holds are skipped unread and unwritten. (Broken on purpose once, by reading every chunk: the
     * spy saw reads of the ZEROS range.)
     */
    @Test
    void rangesNoLayerHoldsAreNeitherReadNorWritten() throws IOException {
        Path src = Disks.patternedRaw(dir.resolve("src.img"), 4 * MIB);
        Path dst = dir.resolve("dst.img");
        TABLE.create(CreateSpec.of(dst, "raw").withSize(4 * MIB));
        List<Long> reads = new ArrayList<>();
        try (SyncEngine engine = new SyncEngine();
             BlockImage from = new HalfUnallocated(TABLE.open(OpenSpec.of(src, engine).withReadOnly(true)), reads);
             BlockImage to = TABLE.open(OpenSpec.of(dst, engine))) {
            ImageCopy.copy(from, to);
            assertTrue(reads.stream().allMatch(offset -> offset >= 2 * MIB), "read where no layer holds: " + reads);
            byte[] copied = whole(to);
            assertArrayEquals(new byte[2 * MIB], java.util.Arrays.copyOf(copied, 2 * MIB));
            assertArrayEquals(java.util.Arrays.copyOfRange(Files.readAllBytes(src), 2 * MIB, 4 * MIB),
                    java.util.Arrays.copyOfRange(copied, 2 * MIB, 4 * MIB));
        }
    }

    /** The first 2 MiB reported as held by no layer; reads recorded. */
    private static final class HalfUnallocated extends ForwardingBlockImage {
        private final List<Long> reads;

        HalfUnallocated(BlockImage image, List<Long> reads) {
            super(image);
            this.reads = reads;
        }

        @Override
        public Allocation allocation(long offset, long length) throws IOException {
            if (offset < 2 * MIB) {
                return new Allocation(offset, Math.min(length, 2 * MIB - offset), Allocation.ZEROS);
            }
            return super.allocation(offset, length);
        }

        @Override
        public void read(long offset, ByteBuffer dst, IoCompletion done) {
            reads.add(offset);
            super.read(offset, dst, done);
        }
    }

    private List<String> names() throws IOException {
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
