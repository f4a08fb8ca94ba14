package org.ubdjvm.props;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.hostio.SyncEngine;

/**
 * The 6.1 kernel's multi-run read bug, pinned: when one page-sized read mixes COW sectors and backing sectors, the
 * kernel advances its buffer by the last run only, so the guest gets sectors in the wrong places. Here the runs
 * are backing 0, COW 1, backing 2-4, COW 5, backing 6-7, all inside one 4096-byte read.
 */
class KernelMultiRunReadTest {
    private static final int SECTOR = 512;

    @Test
    void oneReadOverMixedRunsReturnsEachSectorFromItsLayer(@TempDir Path dir) throws IOException {
        Path backing = dir.resolve("back.img");
        Files.write(backing, SectorData.backing(64 * 1024));
        Path cow = dir.resolve("over.cow");
        FormatTable table = FormatTable.standard();
        table.create(CreateSpec.of(cow, "cow").withBacking(backing));

        try (BlockImage image = table.open(OpenSpec.of(cow, new SyncEngine()))) {
            BlockIo.write(image, SECTOR, ByteBuffer.wrap(cowSector(1)));
            BlockIo.write(image, 5L * SECTOR, ByteBuffer.wrap(cowSector(5)));

            ByteBuffer page = ByteBuffer.allocate(4096);
            BlockIo.read(image, 0, page);

            assertEquals(0, page.position(), "the read leaves the caller's position alone");
            byte[] back = SectorData.backing(64 * 1024);
            for (int s = 0; s < 8; s++) {
                byte[] expected = s == 1 || s == 5 ? cowSector(s) : Arrays.copyOfRange(back, s * SECTOR, (s + 1) * SECTOR);
                assertArrayEquals(expected, Arrays.copyOfRange(page.array(), s * SECTOR, (s + 1) * SECTOR),
                        "sector " + s + " must come from " + (s == 1 || s == 5 ? "the COW file" : "the backing file"));
            }
        }
    }

    /** Text like the shared vectors' written sectors, so a failure shows which sector landed where. */
    private static byte[] cowSector(int s) {
        byte[] word = String.format("cow %06d ", s).getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[SECTOR];
        for (int i = 0; i < SECTOR; i++) {
            out[i] = word[i % word.length];
        }
        return out;
    }
}
