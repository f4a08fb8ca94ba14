package org.ubdjvm.harness.guest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Self-describing guest data: every 512-byte sector written with {@code --verify} starts with a header that says
 * which sector and which generation it is, and ends with a checksum, so a read can tell right data from stale,
 * misplaced or torn data without a copy of the disk.
 *
 * <pre>
 * 0  u32 magic "UBDV"   4  u32 device   8  u64 sector   16 u32 generation   20..507 filler from (sector, generation)
 * 508 u32 CRC32C of bytes 0..507
 * </pre>
 */
final class VerifiedBlock {
    static final int SECTOR = 512;
    private static final int MAGIC = 0x55424456;
    private static final int CRC_AT = SECTOR - 4;

    private VerifiedBlock() {
    }

    /** Fills {@code buf} (absolute indexes from its position) with sectors {@code first..} at {@code generation}. */
    static void fill(ByteBuffer buf, int device, long first, int generation) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = b.position();
        int sectors = b.remaining() / SECTOR;
        for (int i = 0; i < sectors; i++) {
            fillSector(b, base + i * SECTOR, device, first + i, generation);
        }
    }

    /** Fills the 512 bytes of {@code b} (little-endian) at index {@code at} as {@code sector} at {@code generation}. */
    static void fillSector(ByteBuffer b, int at, int device, long sector, int generation) {
        b.putInt(at, MAGIC).putInt(at + 4, device).putLong(at + 8, sector).putInt(at + 16, generation);
        long x = sector * 0x9E3779B97F4A7C15L ^ generation;
        for (int j = 20; j < CRC_AT; j += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            if (j + 8 <= CRC_AT) {
                b.putLong(at + j, x);
            } else {
                b.putInt(at + j, (int) x);
            }
        }
        b.putInt(at + CRC_AT, crc(b, at));
    }

    /**
     * The generation a sector holds: 0 when it is not a verified sector at all (never written by the guest), -1
     * when it claims to be one but its checksum, device or sector number is wrong (corruption or misplaced data).
     */
    static long generationOf(ByteBuffer buf, int index, int device, long sector) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(index) != MAGIC) {
            return 0;
        }
        if (b.getInt(index + CRC_AT) != crc(b, index) || b.getInt(index + 4) != device || b.getLong(index + 8) != sector) {
            return -1;
        }
        return Integer.toUnsignedLong(b.getInt(index + 16));
    }

    private static int crc(ByteBuffer b, int at) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate().limit(at + CRC_AT).position(at));
        return (int) c.getValue();
    }
}
