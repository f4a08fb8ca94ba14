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
 * disk are cleared; bytes past the data area are cut off. A backing that does not match is reported, never
 * "repaired": only the user knows which file is right.
 */
final class UmlCowCheck {
    private final OpenSpec spec;
    private final boolean repair;
    private final FormatTable table;
    private final List<String> messages = new ArrayList<>();
    private int corruptions;
    private int leaks;
    private int corruptionsFixed;
    private int leaksFixed;

    UmlCowCheck(OpenSpec spec, boolean repair, FormatTable table) {
        this.spec = spec;
        this.repair = repair;
        this.table = table;
    }

    CheckReport run() throws IOException {
        // locked like an open image: a repair beside a running guest would undo its writes
        OpenMode mode = (repair ? OpenMode.READ_WRITE : OpenMode.READ_ONLY).withLock(!spec.forceShare());
        try (HostFile cow = HostFile.open(spec.file(), mode)) {
            UmlCowHeader h = UmlCowHeader.decode(ProbeBytes.read(cow));
            checkLength(cow, h);
            checkBitmap(cow, h);
            checkBacking(h);
            if (repair && corruptionsFixed + leaksFixed > 0) {
                cow.datasync();
            }
        }
        return new CheckReport(spec.file(), UmlCowFormat.NAME, corruptions, leaks, corruptionsFixed, leaksFixed,
                messages);
    }

    /** A truncated bitmap or truncated data, and bytes past the last sector's data. */
    private void checkLength(HostFile cow, UmlCowHeader h) throws IOException {
        long fileLength = cow.size();
        String truncated = UmlCowConsistency.bitmapTruncated(h, fileLength);
        if (truncated == null) {
            CowBitmap bitmap = new CowBitmap(UmlCowConsistency.readBitmap(cow, h, fileLength), h.sectors());
            truncated = UmlCowConsistency.dataPastEnd(h, bitmap, fileLength);
        }
        long expected = h.dataOffset() + h.size(); // what uml_mkcow makes
        if (truncated != null) {
            corruption(truncated, repair ? "file extended to " + expected + " bytes" : null);
            if (repair) {
                cow.extendSparse(expected);
            }
        }
        long end = h.dataOffset() + h.sectors() * h.sectorSize();
        if (fileLength > end) {
            leak((fileLength - end) + " bytes past the end of the data area (offset " + end + ")",
                    repair ? "file cut to " + end + " bytes" : null);
            if (repair) {
                cow.truncate(end);
            }
        }
    }

    private void checkBitmap(HostFile cow, UmlCowHeader h) throws IOException {
        byte[] bits = UmlCowConsistency.readBitmap(cow, h, cow.size());
        int past = UmlCowConsistency.bitsPastDisk(h, bits);
        if (past == 0) {
            return;
        }
        long at = h.bitmapOffset() + bits.length - 1;
        corruption(UmlCowConsistency.bitsPastDiskReason(h, past), repair ? "bits cleared" : null);
        if (repair) {
            cow.write(ByteBuffer.wrap(new byte[] {(byte) (bits[bits.length - 1] & ~past)}), at);
        }
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
