package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** What the DISK and HEADER formats share: their options and how those become a header's fields. */
final class DiskHeaders {
    static final CreateOption GEOMETRY = new CreateOption("geometry", CreateOption.Type.STRING, "",
            "CYLINDERS/HEADS/SECTORS recorded with the disk, e.g. 102/15/16 (empty: none, the driver's default)");
    static final CreateOption SECTOR_SIZE = new CreateOption("sector-size", CreateOption.Type.NUMBER, "512",
            "sector size in bytes, a power of two from 512 to 65536 (the B letter)");
    static final CreateOption PAD = new CreateOption("pad", CreateOption.Type.BOOL, "off",
            "pad the header to a multiple of 512 bytes, for raw devices (the P letter)");

    private DiskHeaders() {
    }

    static CreateOption alignment(int defaultValue) {
        return new CreateOption("alignment", CreateOption.Type.NUMBER, String.valueOf(defaultValue),
                "alignment of the data in bytes, a power of two from 512 to 65536 (64 KiB: the page size of any host)");
    }

    static String formatName(DiskHeader.Kind kind) {
        return kind == DiskHeader.Kind.DISK ? DiskFormat.NAME : HeaderFormat.NAME;
    }

    /** The header fields every create option sets; the caller adds size, offset and the data file's. */
    record Fields(DiskGeometry geometry, int sectorSize, int alignment, int flags) {
    }

    static Fields fields(CreateSpec spec, CreateOption alignmentOption, int moreFlags) throws ImageException {
        Path file = spec.file();
        int sectorSize = powerOfTwo(file, SECTOR_SIZE, SECTOR_SIZE.number(spec));
        int alignment = powerOfTwo(file, alignmentOption, alignmentOption.number(spec));
        if (alignment < sectorSize) {
            alignment = sectorSize; // data must start on a sector
        }
        DiskGeometry geometry = DiskGeometry.parse(file, GEOMETRY.name(), GEOMETRY.string(spec));
        int flags = (PAD.bool(spec) ? DiskHeader.FLAG_PADDED : 0) | moreFlags;
        return new Fields(geometry, sectorSize, alignment, flags);
    }

    private static int powerOfTwo(Path file, CreateOption option, long v) throws ImageException {
        if (v < DiskHeader.MIN_SECTOR || v > DiskHeader.MAX_SECTOR || Long.bitCount(v) != 1) {
            throw new ImageException(file, "option " + option.name() + "=" + v + ": not a power of two from "
                    + DiskHeader.MIN_SECTOR + " to " + DiskHeader.MAX_SECTOR);
        }
        return (int) v;
    }

    /** Refuses a size that is not whole sectors, and a geometry larger than the disk, before a file is made. */
    static void checkSize(Path file, long size, Fields f) throws ImageException {
        if (size <= 0 || size % f.sectorSize() != 0) {
            throw new ImageException(file, "disk size " + size + " is not a positive multiple of the sector size "
                    + f.sectorSize());
        }
        if (f.geometry() != null && f.geometry().capacityBytes() > size) {
            throw new ImageException(file, "geometry " + f.geometry() + " describes "
                    + f.geometry().capacityBytes() + " bytes, more than the disk's " + size);
        }
    }

    /** The header of {@code file}, read in whole 512-byte units. */
    static DiskHeader read(org.ubdjvm.hostio.HostFile file, DiskHeader.Kind kind) throws IOException {
        return DiskHeader.decode(kind, ProbeBytes.read(file));
    }

    static void closeAfterFailure(java.io.Closeable c, Exception primary) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException suppressed) {
            primary.addSuppressed(suppressed);
        }
    }

    static List<CreateOption> common(CreateOption alignment) {
        return List.of(GEOMETRY, SECTOR_SIZE, alignment, PAD);
    }
}
