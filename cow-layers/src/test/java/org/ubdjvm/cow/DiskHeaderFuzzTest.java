package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.cow.testing.FuzzTally;
import org.ubdjvm.hostio.HostIoException;
import org.ubdjvm.hostio.SyncEngine;

/**
 * Mutated DISK and HEADER headers (bit flips, truncation, extreme field values with the checksum made to match so
 * the checks behind it are reached, random bytes): a read-write open gives a consistent image or one clear line,
 * never another exception, and neither the header nor the data file is ever written.
 */
class DiskHeaderFuzzTest {
    private static final int CASES = Integer.getInteger("ubd.fuzz.cases", 1_500);
    private static final long SEED = Long.getLong("ubd.fuzz.seed", 20261202L);
    private static final long[] EXTREMES = {0, 1, -1, 7, 63, 64, 255, 256, 511, 512, 4096, 65536, 65537,
            0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 65535, 65536 * 2};
    private static final int[] FIELDS = {DiskHeader.VERSION_AT, DiskHeader.LENGTH_AT, DiskHeader.FLAGS_AT,
            DiskHeader.SIZE_AT, DiskHeader.SECTOR_AT, DiskHeader.ALIGN_AT, DiskHeader.CYL_AT, DiskHeader.HEADS_AT,
            DiskHeader.SECTORS_AT, DiskHeader.RESERVED_AT, DiskHeader.DATA_OFFSET_AT, DiskHeader.DATA_LENGTH_AT,
            DiskHeader.FILE_SIZE_AT, DiskHeader.MTIME_AT, DiskHeader.NAME_OFFSET_AT, DiskHeader.NAME_LENGTH_AT};

    @TempDir
    Path dir;

    @Test
    void mutatedHeadersOpenConsistentlyOrFailClearlyAndNothingIsWritten() throws IOException {
        FormatTable table = FormatTable.standard();
        Path data = Disks.patternedRaw(dir.resolve("data.img"), 64 * 1024);
        byte[] dataBytes = Files.readAllBytes(data);
        table.create(CreateSpec.of(dir.resolve("base.disk"), DiskFormat.NAME).withBacking(data)
                .withOption("geometry", "8/4/4"));
        table.create(CreateSpec.of(dir.resolve("base.header"), HeaderFormat.NAME).withBacking(data)
                .withOption("geometry", "4/4/8"));
        table.create(CreateSpec.of(dir.resolve("padded.header"), HeaderFormat.NAME).withBacking(data)
                .withOption("pad", "on").withOption("data-offset", "4096"));
        List<Path> bases = List.of(dir.resolve("base.disk"), dir.resolve("base.header"), dir.resolve("padded.header"));
        Random random = new Random(SEED);
        FuzzTally tally = new FuzzTally();
        try (SyncEngine engine = new SyncEngine()) {
            for (int i = 0; i < CASES; i++) {
                Path base = bases.get(random.nextInt(bases.size()));
                Path work = dir.resolve("case" + base.getFileName().toString().substring(base.getFileName().toString().indexOf('.')));
                byte[] mutated = mutate(Files.readAllBytes(base), random);
                Files.write(work, mutated);
                String what = "case " + i + " (seed " + SEED + ", base " + base.getFileName() + ")";
                tally.attempt(work, mutated, what, () -> table.open(OpenSpec.of(work, engine)), image -> {
                    int n = (int) Math.min(image.capacity(), 16 * 1024);
                    BlockIo.read(image, 0, ByteBuffer.allocate(n));
                    BlockIo.read(image, image.capacity() - n, ByteBuffer.allocate(n));
                });
                Files.delete(work);
            }
        }
        int opened = tally.opened();
        int refused = tally.refused();
        assertArrayEquals(dataBytes, Files.readAllBytes(data), "the data file was written");
        System.out.println("DISK/HEADER header fuzz: " + CASES + " cases, seed " + SEED + ": " + opened + " opened, "
                + refused + " refused");
        assertTrue(opened > CASES / 20 && refused > CASES / 20, "both outcomes exercised: " + opened + "/" + refused);
    }

    private static byte[] mutate(byte[] original, Random random) {
        byte[] b = original.clone();
        int headerLength = ByteBuffer.wrap(b).getInt(DiskHeader.LENGTH_AT);
        boolean fixCrc = random.nextInt(4) != 0; // mostly: reach the checks behind the checksum
        switch (random.nextInt(5)) {
            case 0 -> b[random.nextInt(Math.min(b.length, headerLength + 8))] ^= (byte) (1 << random.nextInt(8));
            case 1 -> {
                int at = FIELDS[random.nextInt(FIELDS.length)];
                long v = EXTREMES[random.nextInt(EXTREMES.length)];
                if (at == DiskHeader.SIZE_AT || at >= DiskHeader.DATA_OFFSET_AT && at < DiskHeader.NAME_OFFSET_AT) {
                    ByteBuffer.wrap(b).putLong(at, v);
                } else {
                    ByteBuffer.wrap(b).putInt(at, (int) v);
                }
            }
            case 2 -> {
                return Arrays.copyOf(b, random.nextInt(b.length));
            }
            case 3 -> {
                for (int k = 0; k < 8; k++) {
                    b[random.nextInt(Math.min(b.length, 512))] = (byte) random.nextInt();
                }
            }
            default -> fixCrc = true; // valid: must open
        }
        if (fixCrc) {
            int length = ByteBuffer.wrap(b).getInt(DiskHeader.LENGTH_AT);
            if (length >= DiskHeader.CRC_AT + 4 && length <= b.length) {
                ByteBuffer.wrap(b).putInt(DiskHeader.CRC_AT, DiskHeader.crc(b, length));
            }
        }
        return b;
    }
}
