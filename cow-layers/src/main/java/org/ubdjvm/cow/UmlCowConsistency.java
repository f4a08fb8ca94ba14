package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.hostio.HostFile;

/**
 * The consistency rules of a UML COW file, each a reason (one line, naming field or offset) or null: open refuses a
 * file on the first one, check reports them all. Kept in one place so the two never disagree.
 */
final class UmlCowConsistency {
    private UmlCowConsistency() {
    }

    /** The file must hold the whole bitmap the version's formula describes. */
    static String bitmapTruncated(UmlCowHeader h, long fileLength) {
        long bo = h.bitmapOffset();
        if (fileLength >= bo + h.bitmapLength()) {
            return null;
        }
        return "bitmap truncated: the file ends at " + fileLength + " but the bitmap needs bytes " + bo + ".."
                + (bo + h.bitmapLength() - 1);
    }

    /**
     * The bytes of the bitmap held in the file: the version's formula's bytes, and for V1/V2 (whose formula can drop
     * the last bits, the rounding bug) the bits of the remaining sectors as far as they lie in the padding before the
     * data area; bits that would overlap the data count as clear.
     */
    static long bitmapRegionLength(UmlCowHeader h) {
        return Math.max(0, Math.min((h.sectors() + 7) / 8, h.dataOffset() - h.bitmapOffset()));
    }

    /** Bits of the last bitmap byte past the last sector (the kernel ignores them; nothing should set them). */
    static int bitsPastDisk(UmlCowHeader h, int lastByte) {
        int used = (int) (h.sectors() % 8);
        return used == 0 ? 0 : lastByte & 0xFF & ~((1 << used) - 1);
    }

    static String bitsPastDiskReason(UmlCowHeader h, int pastBits) {
        long at = h.bitmapOffset() + h.sectors() / 8;
        return "bitmap byte at offset " + at + " marks sectors past the end of the disk (" + h.sectors()
                + " sectors): bits 0x" + Integer.toHexString(pastBits);
    }

    /**
     * Every set bit must point at data inside the file. Only the bits of sectors whose data lies past the end are
     * read (none for a file of full length, as uml_mkcow makes it), so opening a huge COW reads no whole bitmap.
     */
    static String dataPastEnd(UmlCowHeader h, CowBitmap bitmap, long fileLength) throws IOException {
        long firstMissing = Math.max(0, (fileLength - h.dataOffset() + h.sectorSize() - 1) / h.sectorSize());
        if (firstMissing >= h.sectors()) {
            return null;
        }
        long set = bitmap.firstSetFrom(firstMissing);
        if (set < 0) {
            return null;
        }
        long at = h.dataOffset() + set * h.sectorSize();
        return "data truncated: sector " + set + " is marked in the bitmap but its data at offset " + at
                + " lies past the end of the file (" + fileLength + " bytes)";
    }

    /** The kernel's checks, in its order and words (spec 6.2): size first, then mtime; then the sector sizes. */
    static String backingMismatch(UmlCowHeader h, long backingSize, int backingSectorSize, Path backingPath)
            throws IOException {
        return backingMismatch(h, backingSize, backingSectorSize, backingPath, false);
    }

    /**
     * As above; with {@code skipMtime} the mtime is not compared: a {@code remote} backing (a protocol location, no
     * mtime to compare) or one a commit in progress is writing.
     */
    static String backingMismatch(UmlCowHeader h, long backingSize, int backingSectorSize, Path backingPath,
                                  boolean skipMtime) throws IOException {
        if (h.size() != backingSize) {
            return "Size mismatch (" + h.size() + " vs " + backingSize + ") of COW header vs backing file "
                    + ImageException.quote(backingPath);
        }
        long mtime = skipMtime ? h.mtime() : HostFile.mtimeSeconds(backingPath);
        if (h.mtime() != mtime) {
            return "mtime mismatch (" + h.mtime() + " vs " + mtime + ") of COW header vs backing file "
                    + ImageException.quote(backingPath);
        }
        if (backingSectorSize > h.sectorSize() || h.sectorSize() % backingSectorSize != 0) {
            return ImageException.fieldReason("sectorsize", h.layout().sectorOffset(), "sector size "
                    + h.sectorSize() + " is not a multiple of the backing file's " + backingSectorSize);
        }
        return null;
    }

    /**
     * V1/V2 only (spec 4.2): the rounding bug puts the bits of the last sectors after the bitmap the formula sizes;
     * when no padding follows it, they land on the first byte of data sector 0, so that byte is both.
     */
    static String bitmapOverlapsData(UmlCowHeader h) {
        long bitsEnd = h.bitmapOffset() + (h.sectors() + 7) / 8;
        if (!h.layout().floorBitmap() || bitsEnd <= h.dataOffset()) {
            return null;
        }
        long first = (h.dataOffset() - h.bitmapOffset()) * 8;
        return "bitmap overlaps data: the bits of sectors " + first + ".." + (h.sectors() - 1) + " lie at offset "
                + h.dataOffset() + ", the first byte of data sector 0 (the " + h.layout().name()
                + " rounding bug; the kernel cannot keep both)";
    }
}
