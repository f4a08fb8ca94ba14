package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
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
     * The bitmap bytes of every sector, as far as the file holds them (the rest clear). For V1/V2 the version's
     * formula can drop the last bits (the rounding bug); those are read from the padding before the data area and
     * count as clear where they would overlap the data.
     */
    static byte[] readBitmap(HostFile cow, UmlCowHeader h, long fileLength) throws IOException {
        long bo = h.bitmapOffset();
        int needed = (int) ((h.sectors() + 7) / 8);
        int readable = (int) Math.max(0, Math.min(needed, Math.min(fileLength, h.dataOffset()) - bo));
        byte[] bits = new byte[needed];
        cow.read(ByteBuffer.wrap(bits, 0, readable), bo);
        return bits;
    }

    /** Bits of the last bitmap byte past the last sector (the kernel ignores them; nothing should set them). */
    static int bitsPastDisk(UmlCowHeader h, byte[] bits) {
        int used = (int) (h.sectors() % 8);
        return used == 0 ? 0 : bits[bits.length - 1] & 0xFF & ~((1 << used) - 1);
    }

    static String bitsPastDiskReason(UmlCowHeader h, int pastBits) {
        long at = h.bitmapOffset() + h.sectors() / 8;
        return "bitmap byte at offset " + at + " marks sectors past the end of the disk (" + h.sectors()
                + " sectors): bits 0x" + Integer.toHexString(pastBits);
    }

    /** Every set bit must point at data inside the file. */
    static String dataPastEnd(UmlCowHeader h, CowBitmap bitmap, long fileLength) {
        long highest = bitmap.highestSet();
        long at = h.dataOffset() + highest * h.sectorSize();
        if (highest < 0 || at < fileLength) {
            return null;
        }
        return "data truncated: sector " + highest + " is marked in the bitmap but its data at offset " + at
                + " lies past the end of the file (" + fileLength + " bytes)";
    }

    /**
     * The kernel's checks, in its order and words (spec 6.2): size first, then mtime (not for a {@code remote}
     * backing, a protocol location with no mtime to compare); then the sector sizes.
     */
    static String backingMismatch(UmlCowHeader h, long backingSize, int backingSectorSize, Path backingPath,
                                  boolean remote) throws IOException {
        if (h.size() != backingSize) {
            return "Size mismatch (" + h.size() + " vs " + backingSize + ") of COW header vs backing file "
                    + ImageException.quote(backingPath);
        }
        long mtime = remote ? h.mtime() : HostFile.mtimeSeconds(backingPath);
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
}
