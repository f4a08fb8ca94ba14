package org.ubdjvm.cow;

import java.nio.file.Path;

/**
 * Cylinders, heads and sectors per track of a disk: what a partition table made on a real disk was laid out for
 * (the seed's DISK and HEADER keep it with the data). A format that records one reports it in {@link ImageInfo};
 * the driver reads it from there without knowing which format it came from.
 */
public record DiskGeometry(int cylinders, int heads, int sectors) {
    /** The ATA/BIOS limits of a CHS address: 16-bit cylinders, 255 heads, 63 sectors. */
    public static final int MAX_CYLINDERS = 65535;
    public static final int MAX_HEADS = 255;
    public static final int MAX_SECTORS = 63;

    public DiskGeometry {
        if (cylinders < 1 || cylinders > MAX_CYLINDERS || heads < 1 || heads > MAX_HEADS || sectors < 1
                || sectors > MAX_SECTORS) {
            throw new IllegalArgumentException(describe(cylinders, heads, sectors) + " is out of range (C 1.."
                    + MAX_CYLINDERS + ", H 1.." + MAX_HEADS + ", S 1.." + MAX_SECTORS + ")");
        }
    }

    /** A CHS sector is 512 bytes whatever the disk's sector size, as the kernel's HDIO_GETGEO counts. */
    public static final int SECTOR = 512;

    /** Sectors the geometry addresses. */
    public long capacitySectors() {
        return (long) cylinders * heads * sectors;
    }

    /** Bytes the geometry addresses. */
    public long capacityBytes() {
        return capacitySectors() * SECTOR;
    }

    /** {@code C102H15S16}, the driver's letters. */
    @Override
    public String toString() {
        return describe(cylinders, heads, sectors);
    }

    private static String describe(long c, long h, long s) {
        return "C" + c + "H" + h + "S" + s;
    }

    /**
     * Parses {@code C/H/S} ({@code 102/15/16}), as {@code -o geometry=} gives it; an empty text is no geometry
     * (null). A bad text is an {@link ImageException} naming {@code file} and the option.
     */
    static DiskGeometry parse(Path file, String option, String text) throws ImageException {
        if (text.isBlank()) {
            return null;
        }
        String[] parts = text.strip().split("/", -1);
        try {
            if (parts.length != 3) {
                throw new IllegalArgumentException("expected CYLINDERS/HEADS/SECTORS, e.g. 102/15/16");
            }
            return new DiskGeometry(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
        } catch (IllegalArgumentException e) { // NumberFormatException too
            throw new ImageException(file, "option " + option + "=" + text + ": " + (e instanceof NumberFormatException
                    ? "expected CYLINDERS/HEADS/SECTORS, e.g. 102/15/16" : e.getMessage()));
        }
    }

    /** The geometry of (c, h, s) as read from a header, or null when all three are 0 (none recorded). */
    static DiskGeometry ofHeader(long c, long h, long s) {
        return c == 0 && h == 0 && s == 0 ? null : new DiskGeometry((int) c, (int) h, (int) s);
    }
}
