package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.OpenMode;

/**
 * ISAM, the seed's COW "which will work without sparse files": an index (unit → place in the file) instead of a
 * bitmap, data appended as written. A UML COW V3 header with {@code cow_format} 1; see docs/formats.md. It must come
 * before UML COW in a table, which would claim the same magic and refuse {@code cow_format} 1.
 */
public final class IsamFormat implements ImageFormat {
    public static final String NAME = "isam";
    /** 0 means the sector size: exact per-sector allocation and no read of the layer below on a partial write. */
    static final CreateOption UNIT_SIZE = new CreateOption("unit-size", CreateOption.Type.NUMBER, "0",
            "allocation unit in bytes, a power of two from the sector size to " + IsamHeader.MAX_UNIT
                    + "; 0 = the sector size");
    /** Index pages held per open image (a 2 TiB disk's index is 64 MiB and more, read as needed). */
    static final long CACHE_BYTES = MetadataPages.DEFAULT_CACHE_BYTES;
    /** Owner pages held: each covers 256 KiB of the area. */
    static final int OWNER_PAGES = 256;

    @Override
    public boolean copyOnWrite() {
        return true;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean probe(ProbeBytes head) {
        return IsamHeader.claims(head.bytes());
    }

    @Override
    public BlockImage open(OpenSpec spec, FormatTable table) throws IOException {
        HostFile file = HostFile.open(spec.file(), spec.hostMode());
        BlockImage backing = null;
        try {
            IsamHeader header = readHeader(file);
            long fileLength = file.size();
            if (fileLength < header.areaOffset()) {
                throw new ImageException(spec.file(), "file of " + fileLength + " bytes ends inside its directory (offset "
                        + IsamHeader.DIR_OFFSET + ", " + header.directoryLength() + " bytes)");
            }
            Path backingPath = spec.backing() != null ? spec.backing()
                    : BackingPath.resolveStored(spec.file(), header.backingName());
            backing = openBacking(spec, table, backingPath, header.diskSize());
            String mismatch = backingMismatch(header, backing, backingPath);
            if (mismatch != null) {
                throw new ImageException(spec.file(), mismatch);
            }
            IsamIndex index = new IsamIndex(file, header, IsamIndex.pagesOf(file, CACHE_BYTES),
                    new OwnerPages(file, OWNER_PAGES), fileLength);
            return new IsamImage(file, backing, spec.engine(), header, index, spec.syncWrites());
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(file, e);
            if (backing != null) {
                closeAfterFailure(backing, e);
            }
            throw e;
        }
    }

    /** The layer below; a host error about it (a directory, no permission) names this file too. */
    static BlockImage openBacking(OpenSpec spec, FormatTable table, Path backingPath, long size) throws IOException {
        try {
            return UmlCowFormat.openBacking(spec, table, backingPath, size);
        } catch (org.ubdjvm.hostio.HostIoException e) {
            throw new ImageException(spec.file(), "backing file: " + e.getMessage(), e);
        }
    }

    /** The header and the backing name region, read in whole 512-byte units. */
    static IsamHeader readHeader(HostFile file) throws IOException {
        ProbeBytes head = ProbeBytes.read(file);
        ByteBuffer name = ByteBuffer.allocate(IsamHeader.NAME_SPACE);
        int n = Math.max(0, file.read(name, IsamHeader.NAME_OFFSET));
        byte[] region = new byte[n];
        name.get(0, region);
        return IsamHeader.decode(file.path(), head.bytes(), head.fileLength(), region);
    }

    /** The kernel's order and words for a COW: size, then mtime; then the sector size. */
    static String backingMismatch(IsamHeader h, BlockImage backing, Path backingPath) throws IOException {
        if (h.diskSize() != backing.size()) {
            return "Size mismatch (" + h.diskSize() + " vs " + backing.size() + ") of ISAM header vs backing file "
                    + ImageException.quote(backingPath);
        }
        long mtime = HostFile.mtimeSeconds(backingPath);
        if (h.mtime() != mtime) {
            return "mtime mismatch (" + h.mtime() + " vs " + mtime + ") of ISAM header vs backing file "
                    + ImageException.quote(backingPath);
        }
        if (h.sectorSize() != backing.sectorSize()) {
            return ImageException.fieldReason("sectorsize", IsamHeader.OFF_V3_SECTORSIZE, "sector size " + h.sectorSize()
                    + " differs from the backing file's " + backing.sectorSize());
        }
        return null;
    }

    @Override
    public List<CreateOption> createOptions() {
        return List.of(UNIT_SIZE);
    }

    @Override
    public void create(CreateSpec spec, FormatTable table) throws IOException {
        Path file = spec.file();
        if (spec.backing() == null) {
            throw new ImageException(file, "format isam needs a backing file (-b BACKING)");
        }
        long[] sizeAndSector = UmlCowFormat.withNewBacking(spec, table, b -> new long[] {b.size(), b.sectorSize()});
        int ss = (int) sizeAndSector[1];
        long unit = UNIT_SIZE.number(spec) == 0 ? ss : UNIT_SIZE.number(spec);
        if (!IsamHeader.validUnit(unit, ss)) {
            throw new ImageException(file, "option unit-size=" + unit + ": must be a power of two from the sector size "
                    + ss + " to " + IsamHeader.MAX_UNIT);
        }
        if (sizeAndSector[0] <= 0) {
            throw new ImageException(file, "backing file " + ImageException.quote(spec.backing()) + " is empty");
        }
        IsamHeader h = new IsamHeader(HostFile.mtimeSeconds(spec.backing()), ss, sizeAndSector[0], (int) unit,
                BackingPath.absoluteLikeUmlMkcow(spec.backing()), 0);
        h = h.withAreaEnd(h.areaOffset());
        byte[] bytes = h.encode(file);
        byte[] name = h.encodeName();
        if (!IsamHeader.decode(file, bytes, bytes.length, name).equals(h)) {
            throw new IllegalStateException("encoded ISAM header does not decode to itself: " + h);
        }
        HostFile f = HostFile.open(file, OpenMode.CREATE_NEW);
        try {
            f.write(ByteBuffer.wrap(bytes), 0);
            f.write(ByteBuffer.wrap(name), IsamHeader.NAME_OFFSET);
            // the directory reads zeros: no index page yet; never exactly the disk's length (see IsamFlusher)
            f.extendSparse(h.areaOffset() == h.diskSize() ? h.areaOffset() + 1 : h.areaOffset());
            f.datasync();
            f.close();
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(f, e);
            Files.deleteIfExists(file);
            throw e;
        }
    }

    @Override
    public CheckReport check(OpenSpec spec, boolean repair, FormatTable table) throws IOException {
        return new IsamCheck(spec, table).run();
    }

    private static void closeAfterFailure(java.io.Closeable c, Exception primary) {
        try {
            c.close();
        } catch (IOException suppressed) {
            primary.addSuppressed(suppressed);
        }
    }
}
