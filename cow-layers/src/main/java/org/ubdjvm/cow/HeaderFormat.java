package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.OpenMode;

/**
 * The seed's HEADER: DISK's header in a small file of its own, naming a data file that holds the disk, as a COW
 * header names its backing ("treats the data in the disk as a separate file"). Several HEADER files may describe
 * one data file, each with its own geometry. The data file is part of this layer (qemu's qcow2 external data
 * file): it is opened raw (never probed), read-only with a read-only HEADER, and written through a read-write one.
 * Opening checks its length and mtime against the header, as the kernel checks a COW's backing.
 */
public final class HeaderFormat implements ImageFormat {
    public static final String NAME = "header";
    /** Where the disk starts in the data file: 0 is the whole file. */
    static final CreateOption DATA_OFFSET = new CreateOption("data-offset", CreateOption.Type.NUMBER, "0",
            "where the disk starts in the data file, a multiple of the alignment (0: the whole file)");
    static final CreateOption ALIGNMENT = LetterOptions.alignment(512);
    static final CreateOption KEEP_NAME = LetterOptions.KEEP_NAME;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean probe(ProbeBytes head) {
        return DiskHeader.hasMagic(DiskHeader.Kind.HEADER, head.bytes());
    }

    @Override
    public BlockImage open(OpenSpec spec, FormatTable table) throws IOException {
        HostFile f = HostFile.open(spec.file(), spec.hostMode());
        BlockImage data = null;
        try {
            DiskHeader h = DiskHeaders.read(f, DiskHeader.Kind.HEADER);
            Path dataPath = dataPath(spec, h);
            String mismatch = dataMismatch(h, dataPath);
            if (mismatch != null) {
                throw new ImageException(spec.file(), mismatch);
            }
            // Raw by name: the data file's first bytes are the guest's, never a reason to read it as a format.
            data = table.open(new OpenSpec(dataPath, RawFormat.NAME, null, spec.readOnly(), spec.syncWrites(),
                    spec.engine(), spec.warnings(), spec.depth() + 1, spec.forceShare()));
            BlockImage window = new ImageWindow(data, h.dataOffset(), h.size(), h.sectorSize());
            return new DiskImage(spec.file(), h, window, spec.readOnly() ? closeNow(f) : f, dataPath);
        } catch (IOException | RuntimeException e) {
            DiskHeaders.closeAfterFailure(f, e);
            DiskHeaders.closeAfterFailure(data, e);
            throw e;
        }
    }

    /** A read-only HEADER never rewrites its header: the file need not stay open. */
    private static HostFile closeNow(HostFile f) throws IOException {
        f.close();
        return null;
    }

    /** The data file the user named ({@code ubdN=x.header,data}), else the stored name (relative: to this file). */
    private static Path dataPath(OpenSpec spec, DiskHeader h) {
        return spec.backing() != null ? spec.backing() : BackingPath.resolveStored(spec.file(), h.dataFileName());
    }

    /** Null when the data file is there with the length and mtime the header records, else the reason. */
    private static String dataMismatch(DiskHeader h, Path data) throws IOException {
        if (!Files.isRegularFile(data)) {
            return "data file " + ImageException.quote(data) + (Files.exists(data) ? ": not a regular file"
                    : ": no such file");
        }
        long size = Files.size(data);
        if (size != h.dataFileSize()) {
            return "data file " + ImageException.quote(data) + " has " + size + " bytes, the header records "
                    + h.dataFileSize() + " (header field data_file_size, offset " + DiskHeader.FILE_SIZE_AT + ")";
        }
        long mtime = HostFile.mtimeSeconds(data);
        if (mtime != h.dataFileMtime()) {
            return "data file " + ImageException.quote(data) + " was modified after the header was written (mtime "
                    + mtime + ", the header records " + h.dataFileMtime() + ", field data_file_mtime, offset "
                    + DiskHeader.MTIME_AT + "); if through this header, `ubd check -r` records the new mtime";
        }
        return null;
    }

    @Override
    public List<CreateOption> createOptions() {
        List<CreateOption> all = new ArrayList<>(DiskHeaders.common(ALIGNMENT));
        all.add(DATA_OFFSET);
        all.add(KEEP_NAME);
        return all;
    }

    /** {@code -b DATA} is required: the disk is DATA from {@code data-offset} to its end. */
    @Override
    public void create(CreateSpec spec, FormatTable table) throws IOException {
        Path file = spec.file();
        if (spec.backing() == null) {
            throw new ImageException(file, "format header needs a data file (-b DATA)");
        }
        boolean asGiven = KEEP_NAME.bool(spec);
        DiskHeaders.Fields f = DiskHeaders.fields(spec, ALIGNMENT, asGiven ? DiskHeader.FLAG_NAME_AS_GIVEN : 0);
        String stored = asGiven ? spec.backing().toString() : BackingPath.absoluteLikeUmlMkcow(spec.backing());
        Path data = asGiven ? BackingPath.resolveStored(file, stored) : spec.backing();
        if (!Files.isRegularFile(data)) {
            throw new ImageException(file, "data file " + ImageException.quote(data)
                    + (Files.exists(data) ? ": not a regular file" : ": no such file"));
        }
        long dataSize = Files.size(data);
        long offset = DATA_OFFSET.number(spec);
        if (offset < 0 || offset % f.alignment() != 0 || offset >= dataSize) {
            throw new ImageException(file, "option data-offset=" + offset + ": not a multiple of the alignment "
                    + f.alignment() + " within the data file's " + dataSize + " bytes");
        }
        long size = (dataSize - offset) / f.sectorSize() * f.sectorSize();
        DiskHeaders.checkSize(file, size, f);
        if (stored.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > DiskHeader.MAX_NAME) {
            throw new ImageException(file, "data file name is longer than " + DiskHeader.MAX_NAME + " bytes");
        }
        DiskHeader h = new DiskHeader(DiskHeader.Kind.HEADER, f.flags(), size, f.sectorSize(), f.alignment(),
                f.geometry(), offset, dataSize, HostFile.mtimeSeconds(data), stored);
        HostFile out = HostFile.open(file, OpenMode.CREATE_NEW);
        try {
            out.write(ByteBuffer.wrap(h.encode(file)), 0);
            out.datasync();
            out.close();
        } catch (IOException | RuntimeException e) {
            DiskHeaders.closeAfterFailure(out, e);
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /**
     * A data file missing or of another length (reported, never repaired: only the user knows which is right), or
     * with another mtime (repair: the header records the new one, as after a crash of a session written through it).
     */
    @Override
    public CheckReport check(OpenSpec spec, boolean repair, FormatTable table) throws IOException {
        OpenMode mode = (repair ? OpenMode.READ_WRITE : OpenMode.READ_ONLY).withLock(!spec.forceShare());
        List<String> messages = new ArrayList<>();
        int corruptions = 0;
        int fixed = 0;
        try (HostFile f = HostFile.open(spec.file(), mode)) {
            DiskHeader h = DiskHeaders.read(f, DiskHeader.Kind.HEADER);
            Path data = dataPath(spec, h);
            String mismatch = dataMismatch(h, data);
            if (mismatch != null) {
                corruptions++;
                boolean onlyMtime = Files.isRegularFile(data) && Files.size(data) == h.dataFileSize();
                if (repair && onlyMtime) {
                    byte[] bytes = h.withDataFileMtime(HostFile.mtimeSeconds(data)).encode(spec.file());
                    f.write(ByteBuffer.wrap(bytes, 0, Math.min(bytes.length, DiskHeader.UNIT)), 0);
                    f.datasync();
                    fixed++;
                    mismatch += "; recorded the data file's mtime";
                }
                messages.add(mismatch);
            }
        }
        return new CheckReport(spec.file(), NAME, corruptions, 0, fixed, 0, messages);
    }
}
