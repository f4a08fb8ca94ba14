package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** What the DISK and HEADER formats share: their options and how those become a header's fields. */
final class DiskHeaders {
    static final CreateOption GEOMETRY = new CreateOption("geometry", CreateOption.Type.STRING, "",
            "CYLINDERS/HEADS/SECTORS recorded with the disk, e.g. 102/15/16 (empty: none, the driver's default)");
    static final CreateOption SECTOR_SIZE = LetterOptions.SECTOR_SIZE;
    static final CreateOption PAD = LetterOptions.PAD;

    private DiskHeaders() {
    }

    static String formatName(DiskHeader.Kind kind) {
        return kind == DiskHeader.Kind.DISK ? DiskFormat.NAME : HeaderFormat.NAME;
    }

    /** The header fields every create option sets; the caller adds size, offset and the data file's. */
    record Fields(DiskGeometry geometry, int sectorSize, int alignment, int flags) {
    }

    static Fields fields(CreateSpec spec, CreateOption alignmentOption, int moreFlags) throws ImageException {
        Path file = spec.file();
        int sectorSize = LetterOptions.powerOfTwo(spec, SECTOR_SIZE);
        int alignment = LetterOptions.powerOfTwo(spec, alignmentOption);
        if (alignment < sectorSize) {
            alignment = sectorSize; // data must start on a sector
        }
        DiskGeometry geometry = DiskGeometry.parse(file, GEOMETRY.name(), GEOMETRY.string(spec));
        int flags = (PAD.bool(spec) ? DiskHeader.FLAG_PADDED : 0) | moreFlags;
        return new Fields(geometry, sectorSize, alignment, flags);
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
