package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.OpenMode;
import org.ubdjvm.hostio.SyncEngine;

/**
 * {@code check} of one ISAM file, reading its index through a bounded cache: every directory and index entry must
 * point into the area, aligned, inside the file, at a place whose owner entry names it (so an entry past the file,
 * at an index page, or at another unit's data is a corruption); every owner entry must be pointed back at (else the
 * data is orphaned: a leak, as an interrupted flush leaves). Nothing is repaired: an entry cannot be mended without
 * knowing which data was meant, and a leak in the middle of an append-only file cannot be given back.
 */
final class IsamCheck {
    private static final long CACHE_BYTES = 1 << 20;
    private static final int OWNER_PAGES = 64;

    private final OpenSpec spec;
    private final FormatTable table;
    private final List<String> messages = new ArrayList<>();
    private int corruptions;
    private int leaks;

    IsamCheck(OpenSpec spec, FormatTable table) {
        this.spec = spec;
        this.table = table;
    }

    CheckReport run() throws IOException {
        try (HostFile file = HostFile.open(spec.file(), OpenMode.READ_ONLY.withLock(!spec.forceShare()))) {
            IsamHeader h = IsamFormat.readHeader(file);
            long fileLength = file.size();
            if (fileLength < h.areaOffset()) {
                corruption("the file (" + fileLength + " bytes) ends inside its directory, which ends at " + h.areaOffset());
            } else {
                IsamIndex index = new IsamIndex(file, h, IsamIndex.pagesOf(file, CACHE_BYTES),
                        new OwnerPages(file, OWNER_PAGES), fileLength);
                checkEntries(h, index, fileLength);
                checkOwners(h, index, fileLength);
            }
            checkBacking(h);
        }
        return new CheckReport(spec.file(), IsamFormat.NAME, corruptions, leaks, 0, 0, messages);
    }

    private void checkEntries(IsamHeader h, IsamIndex index, long fileLength) throws IOException {
        for (long d = 0; d < h.directoryEntries(); d++) {
            long dirEntry = IsamHeader.DIR_OFFSET + d * 8;
            long page = index.get(dirEntry);
            if (page == 0) {
                continue;
            }
            String bad = index.badTarget(page, IsamHeader.PAGE, IsamHeader.PAGE, IsamArea.indexTag(d), fileLength);
            if (bad != null) {
                corruption("directory entry " + d + " (offset " + dirEntry + ") points at " + page + ": " + bad);
                continue;
            }
            for (int i = 0; i < IsamHeader.ENTRIES_PER_PAGE; i++) {
                long u = d * IsamHeader.ENTRIES_PER_PAGE + i;
                long entryOffset = page + i * 8L;
                long e = index.get(entryOffset);
                if (e == 0) {
                    continue;
                }
                if (u >= h.units()) {
                    corruption("index entry " + i + " of directory entry " + d + " (offset " + entryOffset
                            + ") is set, but unit " + u + " lies past the end of the disk");
                    continue;
                }
                if (!IsamIndex.isData(e)) {
                    continue;
                }
                long length = Math.min(h.unitSize(), h.capacity() - u * h.unitSize());
                String badData = index.badTarget(e, h.unitSize(), h.unitSize(), IsamArea.dataTag(u), Long.MAX_VALUE);
                if (badData == null && e + length > fileLength) {
                    badData = "past the end of the file (" + fileLength + " bytes)";
                }
                if (badData != null) {
                    corruption("index entry of unit " + u + " (offset " + entryOffset + ") points at " + e + ": " + badData);
                }
            }
        }
    }

    /** Every owner entry of every group in the file names something that points back at it. */
    private void checkOwners(IsamHeader h, IsamIndex index, long fileLength) throws IOException {
        IsamArea area = h.area();
        for (long group = area.areaOffset(); group < fileLength; group += IsamArea.GROUP_BYTES) {
            long p0 = area.position(group + IsamHeader.PAGE);
            for (int g = 0; g < IsamArea.GROUP_DATA / IsamArea.GRANULE; g++) {
                long p = p0 + (long) g * IsamArea.GRANULE;
                long tag = index.owner(area.ownerEntry(p));
                if (tag == 0) {
                    continue;
                }
                long at = area.fileOffset(p);
                Long pointer = pointerTo(h, index, tag);
                if (pointer == null) {
                    leak("owner entry at " + area.ownerEntry(p) + " names " + IsamArea.describeTag(tag) + " at " + at
                            + ", which the disk does not have");
                } else if (pointer != at) {
                    leak("orphaned " + (tag < 0 ? "index page" : "data") + " at " + at + ": " + IsamArea.describeTag(tag)
                            + " is " + (pointer == 0 ? "not stored here" : "at " + pointer) + " (nothing points here; an interrupted flush"
                            + " leaves such)");
                }
            }
        }
    }

    /** Where the directory or index says the owner of {@code tag} is (0: nowhere), or null when there is no such owner. */
    private static Long pointerTo(IsamHeader h, IsamIndex index, long tag) throws IOException {
        if (tag < 0) {
            long d = (tag & Long.MAX_VALUE) - 1;
            return d >= 0 && d < h.directoryEntries() ? index.get(IsamHeader.DIR_OFFSET + d * 8) : null;
        }
        long u = tag - 1;
        if (u >= h.units()) {
            return null;
        }
        long page = index.get(IsamHeader.DIR_OFFSET + u / IsamHeader.ENTRIES_PER_PAGE * 8);
        if (page == 0 || page % IsamHeader.PAGE != 0 || page < h.areaOffset()) {
            return 0L;
        }
        long e = index.get(page + u % IsamHeader.ENTRIES_PER_PAGE * 8);
        return IsamIndex.isData(e) ? e : 0L;
    }

    private void checkBacking(IsamHeader h) throws IOException {
        Path backingPath = spec.backing() != null ? spec.backing() : BackingPath.resolveStored(spec.file(), h.backingName());
        OpenSpec withEngine = spec.engine() != null ? spec : spec.withEngine(new SyncEngine()); // only metadata is read
        try (BlockImage backing = IsamFormat.openBacking(withEngine, table, backingPath, h.diskSize())) {
            String mismatch = IsamFormat.backingMismatch(h, backing, backingPath);
            if (mismatch != null) {
                corruption(mismatch);
            }
        } catch (ImageException e) {
            corruption(e.reason());
        }
    }

    private void corruption(String finding) {
        corruptions++;
        messages.add(finding);
    }

    private void leak(String finding) {
        leaks++;
        messages.add(finding);
    }
}
