package org.ubdjvm.cow.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.UmlCowFormat;
import org.ubdjvm.hostio.IoEngine;

/**
 * The check every NBD server gets as a backing (qemu-nbd, nbdkit, {@code ubd serve}): two UML COWs, one over a raw
 * file and one over an export of that file, get the same writes and discards; they must read the same, page by page
 * and whole, and agree on which layer holds each sector, except that zero runs of the base may be reported as
 * held by no layer; the base file never changes; the header stores the URI in its standard form, mtime 0.
 */
public final class CowOverExport {
    private static final FormatTable TABLE = FormatTable.standard();

    private CowOverExport() {
    }

    /** Runs the check in {@code dir}; returns the bytes the export reported as zero holes. */
    public static long assertReadsAsOverTheFile(Path dir, Path base, String uri, IoEngine engine) throws IOException {
        byte[] baseBytes = Files.readAllBytes(base);
        Path overFile = dir.resolve("over-file.cow");
        Path overExport = dir.resolve("over-export.cow");
        TABLE.create(CreateSpec.of(overFile, UmlCowFormat.NAME).withBacking(base));
        TABLE.create(CreateSpec.of(overExport, UmlCowFormat.NAME).withBacking(Path.of(uri)));
        long holes = 0;
        try (BlockImage a = TABLE.open(OpenSpec.of(overFile, engine));
             BlockImage b = TABLE.open(OpenSpec.of(overExport, engine))) {
            assertEquals(a.size(), b.size());
            sameWrites(a, b, new Random(7));
            assertArrayEquals(whole(a), whole(b), "the COW over the export reads as the COW over the file");
            for (long page = 0; page < a.capacity() / 4096; page++) {
                ByteBuffer x = ByteBuffer.allocate(4096);
                ByteBuffer y = ByteBuffer.allocate(4096);
                BlockIo.read(a, page * 4096, x);
                BlockIo.read(b, page * 4096, y);
                assertArrayEquals(x.array(), y.array(), "page " + page);
            }
            List<Allocation> overFileMap = a.allocationMap(0, a.capacity());
            for (Allocation run : b.allocationMap(0, b.capacity())) {
                for (long s = run.offset(); s < run.end(); s += 512) {
                    int expected = depthAt(overFileMap, s);
                    if (run.zeros()) {
                        assertEquals(1, expected, "only the base's zero runs may be reported as holes: " + run);
                        assertTrue(zeros(baseBytes, (int) s, 512), "a hole where the base holds data: " + run);
                        holes += 512;
                    } else {
                        assertEquals(expected, run.depth(), "depth at " + s);
                    }
                }
            }
        }
        assertArrayEquals(baseBytes, Files.readAllBytes(base), "writes landed in the COW only");
        try (BlockImage b = TABLE.open(OpenSpec.of(overExport, engine).withReadOnly(true))) {
            ImageInfo info = b.info();
            assertEquals(TABLE.protocolLocation(uri), info.backingFilename(), "the header stores the URI");
            assertEquals(0L, ((Number) info.formatSpecific().get("mtime")).longValue(), "an export has no mtime");
            assertEquals("nbd", info.backing().format());
        }
        return holes;
    }

    private static void sameWrites(BlockImage a, BlockImage b, Random r) throws IOException {
        int sectors = (int) (a.capacity() / 512);
        for (int i = 0; i < 40; i++) {
            long sector = r.nextInt(sectors - 8);
            byte[] data = new byte[512 * (1 + r.nextInt(8))];
            r.nextBytes(data);
            BlockIo.write(a, sector * 512, ByteBuffer.wrap(data));
            BlockIo.write(b, sector * 512, ByteBuffer.wrap(data));
        }
        BlockIo.discard(a, 4096, 8192);
        BlockIo.discard(b, 4096, 8192);
    }

    private static byte[] whole(BlockImage image) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) image.capacity());
        BlockIo.read(image, 0, all);
        return all.array();
    }

    private static int depthAt(List<Allocation> map, long offset) {
        return map.stream().filter(run -> run.offset() <= offset && offset < run.end()).findFirst().orElseThrow()
                .depth();
    }

    private static boolean zeros(byte[] bytes, int from, int length) {
        for (int i = from; i < from + length; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
