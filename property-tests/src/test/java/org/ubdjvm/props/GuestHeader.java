package org.ubdjvm.props;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Bytes a guest may well write at the start of its disk that look like a UML COW header: a UML developer copying
 * a COW file onto /dev/ubdb does exactly this. They are data. Either only the magic and version (the rest noise),
 * or a complete, valid V3 header naming another host file whose size and mtime match.
 */
record GuestHeader(Kind kind, int version, long seed) {
    enum Kind { MAGIC_LITTLE_ENDIAN, MAGIC_BIG_ENDIAN, VALID_V3_NAMING_ANOTHER_FILE }

    /** What the guest writes at offset 0. For the complete header, the named file is made beside {@code disk}. */
    byte[] bytes(Path disk, long diskSize) throws IOException {
        if (kind != Kind.VALID_V3_NAMING_ANOTHER_FILE) {
            byte[] out = SectorData.random(seed, SectorData.SECTOR);
            ByteOrder order = kind == Kind.MAGIC_LITTLE_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
            ByteBuffer.wrap(out).order(order).putInt(0, CowGeometry.MAGIC).putInt(4, version);
            return out;
        }
        Path other = disk.resolveSibling("other-host-file.img");
        Files.write(other, SectorData.random(seed, Math.toIntExact(diskSize)));
        CowGeometry g = new CowGeometry(3, diskSize);
        // header, then a zero bitmap, so the header is complete and consistent (spec 3.3)
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(g.bitmapOffset() + SectorData.SECTOR));
        b.putInt(0, CowGeometry.MAGIC).putInt(4, 3)
                .putInt(8, (int) Files.getLastModifiedTime(other).to(TimeUnit.SECONDS))
                .putLong(12, diskSize).putInt(20, CowGeometry.SECTOR).putInt(24, CowGeometry.ALIGNMENT).putInt(28, 0)
                .put(32, other.toRealPath().toString().getBytes(StandardCharsets.UTF_8));
        return b.array();
    }

    @Override
    public String toString() {
        return kind == Kind.VALID_V3_NAMING_ANOTHER_FILE ? "a valid V3 header naming another host file"
                : kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " + version " + version
                        + ", then noise (seed " + seed + ")";
    }
}
