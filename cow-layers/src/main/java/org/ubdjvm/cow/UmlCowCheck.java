package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.OpenMode;
import org.ubdjvm.hostio.SyncEngine;

/**
 * {@code check} of one UML COW file: every rule of {@link UmlCowConsistency} plus leaks, without opening the file as
 * an image. Repairs: a file too short for its bitmap or its data is extended as uml_mkcow sizes it (the missing
 * bitmap bytes read clear, so those sectors come from the backing again; missing data reads zeros); bits past the
 * disk are cleared; bytes past the data area are cut off (a leak); a V1/V2 bitmap that overlaps its data is
 * rewritten as V3 beside the file and renamed over it ({@link UmlCowRelayout}). A backing that does not match is
 * reported, never "repaired": only the user knows which file is right.
 */
final class UmlCowCheck {
    private final OpenSpec spec;
    private final Repair repair;
    private final FormatTable table;
    private final List<String> messages = new ArrayList<>();
    private int corruptions;
    private int leaks;
    private int corruptionsFixed;
    private int leaksFixed;

    UmlCowCheck(OpenSpec spec, Repair repair, FormatTable table) {
        this.spec = spec;
        this.repair = repair;
        this.table = table;
    }

    CheckReport run() throws IOException {
        // locked like an open image: a repair beside a running guest would undo its writes
        OpenMode mode = (repair == Repair.NONE ? OpenMode.READ_ONLY : OpenMode.READ_WRITE).withLock(!spec.forceShare());
        UmlCowHeader h;
        long end;
        try (HostFile cow = HostFile.open(spec.file(), mode)) {
            h = UmlCowHeader.decode(ProbeBytes.read(cow));
            checkLength(cow, h);
            checkBitmap(cow, h);
            checkBacking(h);
            if (corruptionsFixed + leaksFixed > 0) {
                cow.datasync();
            }
            String overlap = UmlCowConsistency.bitmapOverlapsData(h);
            if (overlap != null) {
                corruption(overlap, repair.corruptions() ? "rewritten as V3, data moved to offset "
                        + UmlCowRelayout.v3Of(h).dataOffset() : null);
                if (repair.corruptions()) {
                    h = UmlCowRelayout.rewrite(cow, h, spec.file());
                }
            }
        }
        long highest;
        long allocated;
        try (HostFile cow = HostFile.open(spec.file(), OpenMode.READ_ONLY.withLock(!spec.forceShare()))) { // the repaired one, if renamed
            CowBitmap bits = new CowBitmap(new MetadataPages(cow, h.bitmapOffset(),
                    UmlCowConsistency.bitmapRegionLength(h), scanPage(cow), SCAN_CACHE_BYTES), h.sectors());
            highest = bits.highestSet();
            allocated = bits.countSet();
            end = cow.size();
        }
        long dataEnd = h.dataOffset() + (highest + 1) * h.sectorSize();
        return new CheckReport(spec.file(), UmlCowFormat.NAME, corruptions, leaks, corruptionsFixed, leaksFixed,
                messages).withUsage(Math.min(end, dataEnd), allocated, h.sectors());
    }

    /** A truncated bitmap or truncated data, and bytes past the last sector's data. */
    private void checkLength(HostFile cow, UmlCowHeader h) throws IOException {
        long fileLength = cow.size();
        String truncated = UmlCowConsistency.bitmapTruncated(h, fileLength);
        if (truncated == null) {
            CowBitmap bitmap = new CowBitmap(new MetadataPages(cow, h.bitmapOffset(),
                    UmlCowConsistency.bitmapRegionLength(h), scanPage(cow), SCAN_CACHE_BYTES), h.sectors());
            truncated = UmlCowConsistency.dataPastEnd(h, bitmap, fileLength);
        }
        long expected = h.dataOffset() + h.size(); // what uml_mkcow makes
        if (truncated != null) {
            corruption(truncated, repair.corruptions() ? "file extended to " + expected + " bytes" : null);
            if (repair.corruptions()) {
                cow.extendSparse(expected);
            }
        }
        long end = h.dataOffset() + h.sectors() * h.sectorSize();
        if (fileLength > end) {
            leak((fileLength - end) + " bytes past the end of the data area (offset " + end + ")",
                    repair.leaks() ? "file cut to " + end + " bytes" : null);
            if (repair.leaks()) {
                cow.truncate(end);
            }
        }
    }

    /** The last bitmap byte only: bits past the disk can only be there. */
    private void checkBitmap(HostFile cow, UmlCowHeader h) throws IOException {
        long region = UmlCowConsistency.bitmapRegionLength(h);
        if (h.sectors() % 8 == 0 || region < (h.sectors() + 7) / 8) {
            return;
        }
        long at = h.bitmapOffset() + region - 1;
        ByteBuffer last = ByteBuffer.allocate(1);
        cow.read(last, at);
        int lastByte = last.get(0);
        int past = UmlCowConsistency.bitsPastDisk(h, lastByte);
        if (past == 0) {
            return;
        }
        corruption(UmlCowConsistency.bitsPastDiskReason(h, past), repair.corruptions() ? "bits cleared" : null);
        if (repair.corruptions()) {
            cow.write(ByteBuffer.wrap(new byte[] {(byte) (lastByte & ~past)}), at);
        }
    }

    /** Check reads the bitmap once, front to back: a small cache of large pages. */
    private static final long SCAN_CACHE_BYTES = 2L << 20;

    private static int scanPage(HostFile cow) {
        return Math.max(1 << 20, cow.directAlignment());
    }

    /** The backing the image would open with: present, and matching in size, mtime and sector size. */
    private void checkBacking(UmlCowHeader h) throws IOException {
        Path backingPath;
        try {
            backingPath = UmlCowFormat.chooseBacking(spec, h, table);
        } catch (ImageException e) {
            corruption(e.reason(), null);
            return;
        }
        OpenSpec withEngine = spec.engine() != null ? spec : spec.withEngine(new SyncEngine()); // only metadata is read
        try (BlockImage backing = UmlCowFormat.openBacking(withEngine, table, backingPath, h.size())) {
            String mismatch = UmlCowConsistency.backingMismatch(h, backing.size(), backing.sectorSize(), backingPath,
                    BackingPath.remote(backingPath, table));
            if (mismatch != null) {
                corruption(mismatch, null);
            }
        } catch (ImageException e) {
            corruption(e.reason(), null);
        }
    }

    private void corruption(String finding, String repairMade) {
        corruptions++;
        if (repairMade != null) {
            corruptionsFixed++;
        }
        messages.add(repairMade == null ? finding : finding + " (repaired: " + repairMade + ")");
    }

    private void leak(String finding, String repairMade) {
        leaks++;
        if (repairMade != null) {
            leaksFixed++;
        }
        messages.add(repairMade == null ? finding : finding + " (repaired: " + repairMade + ")");
    }
}
