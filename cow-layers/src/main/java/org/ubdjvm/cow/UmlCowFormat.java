package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.OpenMode;

/**
 * UML COW, versions 1, 2 and 3 (and V3-old64, the padded layout of old 64-bit builds), as the kernel and uml_mkcow/uml_moo read and write them.
 * Opening applies the kernel's checks with the kernel's words: backing size, then mtime, then a backing path that
 * differs from the header's.
 */
public final class UmlCowFormat implements ImageFormat {
    public static final String NAME = "cow";
    public static final int DEFAULT_VERSION = 3;
    static final CreateOption VERSION = new CreateOption("version", CreateOption.Type.NUMBER,
            String.valueOf(DEFAULT_VERSION), "header version: 1 or 2 (obsolete, warned), 3; 4 = V3 with cow_format isam"
            + " (the seed's V4)");
    /** Dike's ruling: ISAM is a cow_format value of a V3 header, not a version; V4 is the seed's name for it. */
    static final CreateOption COW_FORMAT = new CreateOption("cow-format", CreateOption.Type.STRING, "bitmap",
            "what maps the disk: bitmap (cow_format 0), or isam (cow_format 1: an index, no sparse file needed)");
    static final CreateOption OLD64 = new CreateOption("old64", CreateOption.Type.BOOL, "off",
            "V3-old64: the padded V3 layout 64-bit builds wrote before Dec 2005 (for compatibility tests)");
    /** uml_mkcow uses the host page size. */
    static final int CREATE_ALIGNMENT = 4096;
    /** V3's alignment field: bitmap and data start on it (uml_mkcow: the page size). V1/V2 have none. */
    static final CreateOption ALIGNMENT = LetterOptions.alignment(CREATE_ALIGNMENT);
    /** P: a V3 header is always padded (its alignment is at least 512); V1/V2 cannot be. */
    static final CreateOption PAD = LetterOptions.PAD;
    static final CreateOption KEEP_NAME = LetterOptions.KEEP_NAME;
    static final CreateOption SECTOR_SIZE = LetterOptions.SECTOR_SIZE;

    @Override
    public boolean copyOnWrite() {
        return true;
    }

    @Override
    public boolean recordsNewBacking() {
        return true;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean probe(ProbeBytes head) {
        return UmlCowHeader.hasMagic(head.bytes());
    }

    @Override
    public BlockImage open(OpenSpec spec, FormatTable table) throws IOException {
        HostFile cow = HostFile.open(spec.file(), spec.hostMode());
        BlockImage backing = null;
        try {
            UmlCowHeader header = UmlCowHeader.decode(ProbeBytes.read(cow));
            if (header.layout() == UmlCowLayout.V3_OLD64) {
                spec.warnings().accept(spec.file() + ": read_cow_header - broken V3 file with 64-bit layout - recovering content.");
            }
            long fileLength = cow.size();
            CowBitmap bitmap = loadBitmap(cow, header, fileLength, spec.metadata());
            Path backingPath = chooseBacking(spec, header, table);
            backing = openBacking(spec, table, backingPath, header.size());
            checkBacking(spec, header, backing, backingPath, table, cow.directAlignment());
            // Read-only, a different backing is simply used (as uml_moo -b does); read-write, the kernel switches.
            if (spec.backing() != null && !spec.readOnly()
                    && !BackingPath.sameBacking(backingPath, BackingPath.resolveStored(spec.file(), header.backingFile(),
                    table), table)) {
                spec.warnings().accept("Backing file mismatch - " + ImageException.quote(backingPath) + " requested, "
                        + ImageException.quote(header.backingFile()) + " specified in COW header of " + ImageException.quote(spec.file()));
                header = switchBacking(cow, header, backingPath, spec, table);
            }
            return new UmlCowImage(cow, backing, spec.engine(), header, bitmap, spec.syncWrites(), table);
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(cow, e);
            if (backing != null) {
                closeAfterFailure(backing, e);
            }
            throw e;
        }
    }

    /**
     * The bitmap as pages read on demand; refuses a file too short for it, or with a set bit whose data lies past the
     * end (reading only the bits of the missing sectors). O_DIRECT needs the data area on a block boundary: the last
     * bitmap block is then the bitmap's alone, and data transfers can be aligned at all.
     */
    static CowBitmap loadBitmap(HostFile cow, UmlCowHeader h, long fileLength, MetadataCacheOptions cache)
            throws IOException {
        String truncated = UmlCowConsistency.bitmapTruncated(h, fileLength);
        if (truncated != null) {
            throw new ImageException(cow.path(), truncated);
        }
        int block = cow.directAlignment();
        if (block > 0 && h.dataOffset() % block != 0) {
            throw new ImageException(cow.path(), "cannot open with O_DIRECT: the data area starts at offset "
                    + h.dataOffset() + ", not on a " + block + "-byte block; open it without direct, or convert it"
                    + " to V3 (whose data area uml_mkcow aligns to 4096)");
        }
        MetadataPages pages = new MetadataPages(cow, h.bitmapOffset(), UmlCowConsistency.bitmapRegionLength(h),
                Math.max(cache.pageSize(), block), cache.cacheBytes());
        CowBitmap bitmap = new CowBitmap(pages, h.sectors());
        String pastEnd = UmlCowConsistency.dataPastEnd(h, bitmap, fileLength);
        if (pastEnd != null) {
            throw new ImageException(cow.path(), pastEnd);
        }
        return bitmap;
    }

    static Path chooseBacking(OpenSpec spec, UmlCowHeader header, FormatTable table) throws ImageException {
        if (spec.backing() != null) {
            return spec.backing();
        }
        if (header.backingFile().isEmpty()) {
            throw ImageException.field(spec.file(), "backing_file", header.layout().backingOffset(),
                    "empty backing file name; give the backing file explicitly");
        }
        return BackingPath.resolveStored(spec.file(), header.backingFile(), table);
    }

    /**
     * Opens the layer below. A backing whose length is the size this header records is raw, whatever its first bytes
     * look like: the kernel always opens a backing as raw, and a guest may have written a COW-looking header into
     * its disk. A real COW file is always longer than its virtual size (header, bitmap), so a COW backing is still
     * found by probing. A protocol location (an NBD URI) is opened by the protocol layer that claims it.
     */
    static BlockImage openBacking(OpenSpec spec, FormatTable table, Path backingPath, long size) throws IOException {
        if (BackingPath.remote(backingPath, table)) {
            return table.open(spec.lower(backingPath));
        }
        if (!Files.exists(backingPath)) {
            throw new ImageException(spec.file(), "backing file " + ImageException.quote(backingPath) + ": no such file");
        }
        try {
            OpenSpec lower = spec.lower(backingPath);
            return table.open(Files.size(backingPath) == size ? lower.withFormat(RawFormat.NAME) : lower);
        } catch (NoSuchFileException e) {
            throw new ImageException(spec.file(), "backing file " + ImageException.quote(backingPath) + ": no such file", e);
        }
    }

    /**
     * The kernel's checks; the mtime is not compared for a remote backing (a protocol location), and a backing mtime
     * that differs while a commit into that backing is in progress (its journal beside this file), or through it
     * into a deeper base (its journal beside the backing, whose header the commit rewrites), is accepted with a
     * warning: the commit changes it, and this layer still reads right.
     */
    private static void checkBacking(OpenSpec spec, UmlCowHeader h, BlockImage backing, Path backingPath,
                                     FormatTable table, int direct) throws IOException {
        boolean remote = BackingPath.remote(backingPath, table);
        // O_DIRECT layers serve whole blocks: a backing's block-sized sectors fit a COW read in blocks too
        int backingSectorSize = direct > 0 && direct % backing.sectorSize() == 0 ? h.sectorSize() : backing.sectorSize();
        String mismatch = UmlCowConsistency.backingMismatch(h, backing.size(), backingSectorSize, backingPath,
                remote);
        boolean committing = mismatch != null && (CommitJournal.inProgress(spec.file(), backingPath)
                || CommitJournal.rewritingHeaderOf(backingPath));
        if (committing) {
            mismatch = UmlCowConsistency.backingMismatch(h, backing.size(), backingSectorSize, backingPath, true);
        }
        if (mismatch != null) {
            throw new ImageException(spec.file(), mismatch);
        }
        if (committing && HostFile.mtimeSeconds(backingPath) != h.mtime()) {
            spec.warnings().accept(spec.file() + ": a commit " + (CommitJournal.rewritingHeaderOf(backingPath)
                    ? "through " : "into ") + ImageException.quote(backingPath) + " was interrupted; the kernel refuses"
                    + " this file until 'ubd commit' finishes it");
        }
    }

    /**
     * The user named a different backing file (not the same inode as the header's) that passed the checks: record it in the header, in the file's own
     * version and layout (the kernel rewrites any header as V3 without moving the bitmap, which corrupts V1/V2).
     * The new header is decoded back and must describe the same bitmap and data before it is written.
     */
    private static UmlCowHeader switchBacking(HostFile cow, UmlCowHeader h, Path backingPath, OpenSpec spec,
                                              FormatTable table) throws IOException {
        UmlCowHeader switched = new UmlCowHeader(h.layout(), h.mtime(), h.size(), h.sectorSize(), h.alignment(),
                h.cowFormat(), BackingPath.stored(backingPath, table));
        byte[] bytes = switched.encode(spec.file());
        UmlCowHeader check = UmlCowHeader.decode(new ProbeBytes(spec.file(), cow.size(), bytes));
        if (!check.equals(switched) || check.dataOffset() != h.dataOffset() || check.bitmapOffset() != h.bitmapOffset()) {
            throw new ImageException(spec.file(), "cannot switch backing file: the new header would not describe the same bitmap and data");
        }
        int block = cow.directAlignment();
        if (block > 0) { // O_DIRECT: read-modify-write of the whole blocks the header lies in
            ByteBuffer blocks = ByteBuffer.allocate((int) ProbeBytes.roundUp(bytes.length, block));
            cow.read(blocks, 0);
            blocks.clear().put(bytes).clear();
            cow.write(blocks, 0);
        } else {
            cow.write(ByteBuffer.wrap(bytes), 0);
        }
        cow.datasync();
        spec.warnings().accept("Switching backing file to '" + switched.backingFile() + "'");
        return switched;
    }

    @Override
    public List<CreateOption> createOptions() {
        return List.of(VERSION, OLD64, SECTOR_SIZE, ALIGNMENT, PAD, KEEP_NAME, COW_FORMAT);
    }

    @Override
    public void create(CreateSpec spec, FormatTable table) throws IOException {
        Path file = spec.file();
        if (spec.backing() == null) {
            throw new ImageException(file, "format cow needs a backing file (-b BACKING)");
        }
        long version = VERSION.number(spec);
        String cowFormat = COW_FORMAT.string(spec);
        if (!cowFormat.equals("bitmap") && !cowFormat.equals(IsamFormat.NAME)) {
            throw new ImageException(file, "option cow-format=" + cowFormat + ": known: bitmap, " + IsamFormat.NAME);
        }
        if (version == 4 || cowFormat.equals(IsamFormat.NAME)) {
            if (version != 4 && version != 3 || OLD64.bool(spec)) {
                throw new ImageException(file, "cow_format isam exists in the V3 header only (version 3 or 4, no old64)");
            }
            createIsam(spec, table);
            return;
        }
        if (version < 1 || version > 3) {
            throw new ImageException(file, "cannot create UML COW version " + version + " (known: 1, 2, 3; 4 = isam)");
        }
        boolean old64 = OLD64.bool(spec);
        if (old64 && version != 3) {
            throw new ImageException(file, "old64 (the V3-old64 layout) exists for version 3 only, not " + version);
        }
        UmlCowLayout layout = old64 ? UmlCowLayout.V3_OLD64 : UmlCowLayout.forCreate((int) version);
        int sectorSize = LetterOptions.powerOfTwo(spec, SECTOR_SIZE);
        int alignment = layout.alignOffset() < 0 ? sectorSize
                : Math.max(LetterOptions.powerOfTwo(spec, ALIGNMENT), sectorSize);
        if (layout.alignOffset() < 0 && (spec.options().containsKey(ALIGNMENT.name()) || PAD.bool(spec))) {
            throw new ImageException(file, layout.name() + " has no alignment: its " + layout.headerSize()
                    + "-byte header is followed directly by the bitmap, so it cannot be aligned or padded; use version 3");
        }
        boolean remote = BackingPath.remote(spec.backing(), table);
        boolean asGiven = !remote && KEEP_NAME.bool(spec);
        Path backingFile = asGiven ? BackingPath.resolveStored(file, spec.backing().toString()) : spec.backing();
        long size = backingSize(spec.withBacking(backingFile), table);
        if (layout.floorBitmap() && size % (8L * sectorSize) != 0) {
            throw new ImageException(file, layout.name() + " cannot describe a " + size + "-byte disk: its bitmap"
                    + " rounds down and loses the last sectors (the V1/V2 rounding bug); use version 3");
        }
        if (layout.obsolete() || old64) {
            spec.warnings().accept("warning: UML COW " + layout.name() + " is obsolete; V3 is the current format");
        }
        if (sectorSize != 512) { // tried: linux.uml 6.1 takes it and writes 512-byte bits and sectors into it
            spec.warnings().accept("warning: sector size " + sectorSize + ": the UML kernel reads every COW file as"
                    + " 512-byte sectors and misplaces its writes in this one; give it to ubd and uml_moo only");
        }
        // a protocol backing (an NBD export) has no mtime: 0 is stored, and open does not compare it
        long mtime = remote ? 0 : HostFile.mtimeSeconds(backingFile);
        UmlCowHeader header = new UmlCowHeader(layout, mtime, size, sectorSize, alignment, 0,
                asGiven ? spec.backing().toString() : BackingPath.stored(spec.backing(), table));
        byte[] bytes = header.encode(file);
        if (!UmlCowHeader.decode(new ProbeBytes(file, bytes.length, bytes)).equals(header)) {
            throw new IllegalStateException("encoded header does not decode to itself: " + header);
        }
        writeNewFile(file, bytes, header.dataOffset() + size);
    }

    /** An ISAM file, as {@code -f isam} makes it with its defaults. */
    private static void createIsam(CreateSpec spec, FormatTable table) throws IOException {
        for (CreateOption letter : List.of(SECTOR_SIZE, ALIGNMENT, PAD, KEEP_NAME)) {
            if (spec.options().containsKey(letter.name())) {
                throw new ImageException(spec.file(), "cow_format isam takes no option " + letter.name()
                        + " (its sector size is the backing file's; its header is always whole 512-byte units)");
            }
        }
        new IsamFormat().create(new CreateSpec(spec.file(), IsamFormat.NAME, spec.size(), spec.backing(),
                java.util.Map.of(), spec.warnings()), table);
    }

    /** The virtual size of the new layer's backing. */
    private static long backingSize(CreateSpec spec, FormatTable table) throws IOException {
        return withNewBacking(spec, table, BlockImage::size);
    }

    /** What a new layer needs to know of its backing, which is opened read-only and closed again. */
    interface BackingQuery<T> {
        T ask(BlockImage backing) throws IOException;
    }

    /**
     * Asks the backing of a layer being created. A backing that looks like a COW file but does not open as one is
     * raw, as the kernel would read it (guest bytes in a raw disk must not decide how the host opens it). A protocol
     * location has no raw file to fall back on.
     */
    static <T> T withNewBacking(CreateSpec spec, FormatTable table, BackingQuery<T> query) throws IOException {
        OpenSpec probed = new OpenSpec(spec.backing(), null, null, true, false, new org.ubdjvm.hostio.SyncEngine(),
                w -> { }, 1);
        try (BlockImage backing = table.open(probed)) {
            return query.ask(backing);
        } catch (ImageException notACowAfterAll) {
            if (BackingPath.remote(spec.backing(), table)) {
                throw notACowAfterAll;
            }
            try (BlockImage raw = table.open(probed.withFormat(RawFormat.NAME))) {
                return query.ask(raw);
            }
        }
    }

    /** Header, then one zero byte at the end as uml_mkcow does; the bitmap and data stay holes. */
    private static void writeNewFile(Path file, byte[] header, long length) throws IOException {
        HostFile f = HostFile.open(file, OpenMode.CREATE_NEW);
        try {
            f.write(ByteBuffer.wrap(header), 0);
            f.extendSparse(length);
            f.datasync();
            f.close();
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(f, e);
            Files.deleteIfExists(file); // nothing half-written is left behind
            throw e;
        }
    }

    private static void closeAfterFailure(java.io.Closeable c, Exception primary) {
        try {
            c.close();
        } catch (IOException suppressed) {
            primary.addSuppressed(suppressed);
        }
    }

    @Override
    public CheckReport check(OpenSpec spec, boolean repair, FormatTable table) throws IOException {
        return check(spec, repair ? Repair.ALL : Repair.NONE, table);
    }

    @Override
    public CheckReport check(OpenSpec spec, Repair repair, FormatTable table) throws IOException {
        return new UmlCowCheck(spec, repair, table).run();
    }
}
