package org.ubdjvm.cow.testing;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The perl helper of the vectors' make-vectors.sh (cow.pl) in Java, command for command: the reference writer that
 * put data into the vectors and the reference reader their documented md5s come from. It shares nothing with the
 * product's UML COW code on purpose, so regenerated vectors test the product instead of agreeing with it.
 */
final class ReferenceCow {
    private static final int MAGIC = 0x4f4f4f4d;
    private static final int SECTOR = 512;
    private static final int ALIGN = 4096;

    private ReferenceCow() {
    }

    /** What cow.pl's parse() finds: the decisions of the kernel's read_cow_header() and cow_sizes(). */
    record Header(String layout, String magicOrder, int version, String backing, long mtime, long size,
            int sectorSize, int align, int cowFormat, long bitmapOffset, long bitmapLength, long dataOffset) {
        /** cow.pl's {@code info} line without the backing path, which depends on where the set was made. */
        String info() {
            return "layout=" + layout + " magic_order=" + magicOrder + " version=" + version + " mtime=" + mtime
                    + " size=" + size + " sectorsize=" + sectorSize + " align=" + align
                    + (version == 3 ? " cow_format=" + cowFormat : "")
                    + " bitmap_off=" + bitmapOffset + " bitmap_len=" + bitmapLength + " data_off=" + dataOffset;
        }
    }

    static Header parse(Path file) throws IOException {
        byte[] bytes = read(file, 0, 4136);
        if (bytes.length < 8) {
            throw new IOException(file + ": short header");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        boolean little = b.order(LITTLE_ENDIAN).getInt(0) == MAGIC;
        if (!little && b.order(BIG_ENDIAN).getInt(0) != MAGIC) {
            throw new IOException(file + ": bad magic");
        }
        String order = little ? "little" : "big";
        int version = b.order(little ? LITTLE_ENDIAN : BIG_ENDIAN).getInt(4);
        if (version == 1) {
            need(file, bytes, 280, "V1");
            b.order(LITTLE_ENDIAN);
            return sized("v1", order, 1, text(b, 8, 256), u32(b, 264), b.getLong(268), b.getInt(276), -1, 0, 280);
        }
        b.order(BIG_ENDIAN);
        if (version == 2) {
            need(file, bytes, 4120, "V2");
            return sized("v2", order, 2, text(b, 8, 4096), u32(b, 4104), b.getLong(4108), b.getInt(4116), -1, 0, 4120);
        }
        if (version != 3) {
            throw new IOException(file + ": invalid COW version");
        }
        boolean packed = b.order(LITTLE_ENDIAN).getInt(32) != 0; // the old 64-bit layout has zeros in bytes 12-15
        b.order(BIG_ENDIAN);
        need(file, bytes, packed ? 4128 : 4136, "V3");
        int at = packed ? 0 : 4;                                   // every field after mtime moves 4 bytes
        int align = b.getInt(24 + at);
        if (align == 0) {
            throw new IOException(file + ": align == 0");
        }
        return sized(packed ? "v3" : "v3-broken64", order, 3, text(b, 32 + at, 4096), u32(b, 8), b.getLong(12 + at),
                b.getInt(20 + at), align, b.getInt(28 + at), roundUp(packed ? 4128 : 4136, align));
    }

    /** cow.pl's bitmap length and data offset: V1/V2 round the bitmap down (their bug), V3 up. */
    private static Header sized(String layout, String order, int version, String backing, long mtime, long size,
            int sectorSize, int align, int cowFormat, long bitmapOffset) {
        long bitmapLength;
        long dataOffset;
        if (version < 3) {
            bitmapLength = (size + sectorSize - 1) / (8L * sectorSize);
            dataOffset = roundUp(bitmapOffset + bitmapLength, sectorSize);
            align = sectorSize;
        } else {
            bitmapLength = ((size + sectorSize - 1) / sectorSize + 7) / 8;
            dataOffset = roundUp(bitmapOffset + bitmapLength, align);
        }
        return new Header(layout, order, version, backing, mtime, size, sectorSize, align, cowFormat, bitmapOffset,
                bitmapLength, dataOffset);
    }

    /**
     * cow.pl {@code craft}: a header exactly per layout ("1", "2", "3" or "3b", the old 64-bit V3) naming
     * {@code backing} with its size and mtime, and a sparse data area.
     */
    static void craft(String layout, Path cow, Path backing) throws IOException {
        long size = Files.size(backing);
        int mtime = (int) Files.getLastModifiedTime(backing).to(TimeUnit.SECONDS);
        byte[] name = backing.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer h;
        switch (layout) {
            case "1" -> h = ByteBuffer.allocate(280).order(LITTLE_ENDIAN).putInt(MAGIC).putInt(1)
                    .put(Arrays.copyOf(name, 256)).putInt(mtime).putLong(size).putInt(SECTOR);
            case "2" -> h = ByteBuffer.allocate(4120).putInt(MAGIC).putInt(2)
                    .put(Arrays.copyOf(name, 4096)).putInt(mtime).putLong(size).putInt(SECTOR);
            case "3" -> h = ByteBuffer.allocate(4128).putInt(MAGIC).putInt(3).putInt(mtime).putLong(size)
                    .putInt(SECTOR).putInt(ALIGN).putInt(0).put(Arrays.copyOf(name, 4096));
            case "3b" -> h = ByteBuffer.allocate(4136).putInt(MAGIC).putInt(3).putInt(mtime).putInt(0).putLong(size)
                    .putInt(SECTOR).putInt(ALIGN).putInt(0).put(Arrays.copyOf(name, 4096));
            default -> throw new IllegalArgumentException("layout " + layout);
        }
        Files.write(cow, h.array());
        Header parsed = parse(cow);
        try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "rw")) {
            f.setLength(parsed.dataOffset() + size);
        }
    }

    /**
     * cow.pl {@code put}: each sector's data into the data area ({@code tag} text as in the vectors README, or 512
     * zeros for "ZERO"), then each sector's bit (bit n in byte n/8, LSB first).
     */
    static void put(Path cow, String tag, int... sectors) throws IOException {
        Header h = parse(cow);
        try (FileChannel ch = FileChannel.open(cow, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (int s : sectors) {
                byte[] data = tag.equals("ZERO") ? new byte[SECTOR] : Disks.sector(tag + " %06d ", s);
                ch.write(ByteBuffer.wrap(data), h.dataOffset() + (long) s * SECTOR);
            }
            for (int s : sectors) {
                long at = h.bitmapOffset() + (s >> 3);
                ByteBuffer old = ByteBuffer.allocate(1);
                ch.read(old, at);
                ch.write(ByteBuffer.wrap(new byte[] {(byte) (old.get(0) | 1 << (s & 7))}), at);
            }
        }
    }

    /** cow.pl {@code bits}: the set bits as ranges, "0,5-7,63-64", or "none". */
    static String bits(Path cow) throws IOException {
        Header h = parse(cow);
        byte[] bitmap = read(cow, h.bitmapOffset(), (int) h.bitmapLength());
        List<String> ranges = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= bitmap.length * 8; i++) {
            boolean set = i < bitmap.length * 8 && isSet(bitmap, i);
            if (set && start < 0) {
                start = i;
            } else if (!set && start >= 0) {
                ranges.add(start == i - 1 ? String.valueOf(start) : start + "-" + (i - 1));
                start = -1;
            }
        }
        return ranges.isEmpty() ? "none" : String.join(",", ranges);
    }

    /**
     * cow.pl {@code virtual}: the whole disk as the kernel reads it: backing size rounded up to a sector, sector s
     * from the COW data area if its bit is set, else from the backing, zeros past either file's end.
     */
    static byte[] virtualDisk(Path cow, Path backing) throws IOException {
        Header h = parse(cow);
        byte[] bitmap = read(cow, h.bitmapOffset(), (int) h.bitmapLength());
        byte[] lower = Files.readAllBytes(backing);
        byte[] disk = new byte[(lower.length + SECTOR - 1) / SECTOR * SECTOR];
        System.arraycopy(lower, 0, disk, 0, lower.length);
        for (int s = 0; s < disk.length / SECTOR; s++) {
            if (isSet(bitmap, s)) {
                byte[] data = Arrays.copyOf(read(cow, h.dataOffset() + (long) s * SECTOR, SECTOR), SECTOR);
                System.arraycopy(data, 0, disk, s * SECTOR, SECTOR);
            }
        }
        return disk;
    }

    private static boolean isSet(byte[] bitmap, int n) {
        return n < 8 * bitmap.length && (bitmap[n >> 3] >> (n & 7) & 1) != 0;
    }

    /** Up to {@code n} bytes at {@code offset}: fewer at the end of the file, as perl's read() gives. */
    private static byte[] read(Path file, long offset, int n) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(n);
            while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {
                // until full or at the end of the file
            }
            return Arrays.copyOf(b.array(), b.position());
        }
    }

    private static void need(Path file, byte[] bytes, int length, String what) throws IOException {
        if (bytes.length < length) {
            throw new IOException(file + ": failed to read " + what + " header");
        }
    }

    /** perl's Z format: the bytes up to the first NUL. */
    private static String text(ByteBuffer b, int offset, int length) {
        int end = offset;
        while (end < offset + length && b.get(end) != 0) {
            end++;
        }
        return new String(b.array(), offset, end - offset, StandardCharsets.ISO_8859_1);
    }

    private static long u32(ByteBuffer b, int offset) {
        return Integer.toUnsignedLong(b.getInt(offset));
    }

    private static long roundUp(long x, long to) {
        return (x + to - 1) / to * to;
    }
}
