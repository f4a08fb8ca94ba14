package org.ubdjvm.cow.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A V2 file whose bitmap overlaps its data (spec 4.2, the seed's "map overlaps data"): over a disk of {@link #SIZE}
 * bytes the V2 formula gives a 488-byte bitmap at 4120, so data starts at 4608 and the bits of the last
 * {@link #OVERLAPPED} sectors lie on the first byte of data sector 0. Made by hand, as uml_mkcow (V3 only) cannot.
 */
public final class OverlappedCow {
    /** 3907 sectors: 488 * 8 + 3. */
    public static final long SIZE = 488L * 4096 + 3 * 512;
    public static final long SECTORS = SIZE / 512;
    public static final int OVERLAPPED = 3;
    public static final long DATA_OFFSET = 4608;

    private OverlappedCow() {
    }

    /** A V2 header over {@code backing} (which must be {@link #SIZE} bytes), sized as uml_mkcow sizes files. */
    public static Path v2(Path cow, Path backing) throws IOException {
        if (Files.size(backing) != SIZE) {
            throw new IllegalArgumentException(backing + " must be " + SIZE + " bytes");
        }
        ByteBuffer h = ByteBuffer.allocate(4120); // big-endian, as V2 is
        h.putInt(0, 0x4F4F4F4D).putInt(4, 2);
        h.put(8, backing.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8));
        h.putInt(4104, (int) Files.getLastModifiedTime(backing).to(TimeUnit.SECONDS));
        h.putLong(4108, SIZE).putInt(4116, 512);
        try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "rw")) {
            f.write(h.array());
            f.setLength(DATA_OFFSET + SIZE);
        }
        return cow;
    }
}
