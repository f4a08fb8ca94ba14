package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.OpenMode;
import org.ubdjvm.hostio.SyncEngine;

/**
 * The seed's DISK: a header recording a disk's geometry (C/H/S), sector size and alignment, with the disk's data
 * after it in the same file, so a dd image of a real disk keeps the layout its partition table was made for. The
 * header is written once, at create; the data is served like a raw file from {@code data_offset}.
 */
public final class DiskFormat implements ImageFormat {
    public static final String NAME = "disk";
    /** The host page size of every common architecture; 64 KiB ("use 64k even on i386") with -o alignment. */
    static final CreateOption ALIGNMENT = LetterOptions.alignment(4096);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean probe(ProbeBytes head) {
        return DiskHeader.hasMagic(DiskHeader.Kind.DISK, head.bytes());
    }

    @Override
    public BlockImage open(OpenSpec spec, FormatTable table) throws IOException {
        if (spec.backing() != null) {
            throw new ImageException(spec.file(), "a disk image has no backing file (given: " + spec.backing() + ")");
        }
        HostFile f = HostFile.open(spec.file(), spec.hostMode());
        try {
            DiskHeader h = DiskHeaders.read(f, DiskHeader.Kind.DISK);
            String truncated = truncated(h, f.size());
            if (truncated != null) {
                throw new ImageException(spec.file(), truncated);
            }
            BlockImage window = new ImageWindow(new RawImage(f, spec.engine()), h.dataOffset(), h.size(), h.sectorSize());
            return new DiskImage(spec.file(), h, window, null, null);
        } catch (IOException | RuntimeException e) {
            DiskHeaders.closeAfterFailure(f, e);
            throw e;
        }
    }

    /** A file cut short of its data area is refused: its tail would read zeros that were never written. */
    private static String truncated(DiskHeader h, long fileLength) {
        long end = h.dataOffset() + h.size();
        return fileLength < end ? "truncated: the data area ends at " + end + ", the file has " + fileLength
                + " bytes" : null;
    }

    @Override
    public List<CreateOption> createOptions() {
        return DiskHeaders.common(ALIGNMENT);
    }

    /** {@code -b IMAGE} copies IMAGE's disk in (its size is the disk's); else SIZE bytes of zeros. */
    @Override
    public void create(CreateSpec spec, FormatTable table) throws IOException {
        Path file = spec.file();
        DiskHeaders.Fields f = DiskHeaders.fields(spec, ALIGNMENT, 0);
        try (SyncEngine engine = new SyncEngine();
             BlockImage source = spec.backing() == null ? null : openSource(spec.backing(), table, engine)) {
            long size = ProbeBytes.roundUp(source != null ? source.size() : Math.max(spec.size(), 1), f.sectorSize());
            DiskHeaders.checkSize(file, size, f);
            long headerLength = new DiskHeader(DiskHeader.Kind.DISK, f.flags(), size, f.sectorSize(), f.alignment(),
                    f.geometry(), 0, 0, 0, null).paddedLength();
            DiskHeader h = new DiskHeader(DiskHeader.Kind.DISK, f.flags(), size, f.sectorSize(), f.alignment(),
                    f.geometry(), ProbeBytes.roundUp(headerLength, f.alignment()), 0, 0, null);
            write(file, h, source, engine);
        }
    }

    /** The image to copy in: probed, and raw when it looks like a format but does not open as one. */
    private static BlockImage openSource(Path source, FormatTable table, SyncEngine engine) throws IOException {
        OpenSpec probed = new OpenSpec(source, null, null, true, false, engine, w -> { }, 1);
        try {
            return table.open(probed);
        } catch (ImageException notThatFormat) {
            return table.open(probed.withFormat(RawFormat.NAME));
        }
    }

    private static void write(Path file, DiskHeader h, BlockImage source, SyncEngine engine) throws IOException {
        HostFile out = HostFile.open(file, OpenMode.CREATE_NEW);
        try {
            out.write(ByteBuffer.wrap(h.encode(file)), 0);
            out.extendSparse(h.dataOffset() + h.size());
            if (source != null) {
                // the window does not own the file: it is closed below, after the copy is durable
                ImageCopy.copy(source, new ImageWindow(new RawImage(out, engine), h.dataOffset(), h.size(),
                        h.sectorSize()));
            }
            out.datasync();
            out.close();
        } catch (IOException | RuntimeException e) {
            DiskHeaders.closeAfterFailure(out, e);
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /** A short file (repair: extended; the missing tail reads zeros) and bytes past the data area (a leak, cut). */
    @Override
    public CheckReport check(OpenSpec spec, boolean repair, FormatTable table) throws IOException {
        if (spec.backing() != null) {
            throw new ImageException(spec.file(), "a disk image has no backing file (given: " + spec.backing() + ")");
        }
        OpenMode mode = (repair ? OpenMode.READ_WRITE : OpenMode.READ_ONLY).withLock(!spec.forceShare());
        List<String> messages = new ArrayList<>();
        int corruptions = 0;
        int leaks = 0;
        try (HostFile f = HostFile.open(spec.file(), mode)) {
            DiskHeader h = DiskHeaders.read(f, DiskHeader.Kind.DISK);
            long end = h.dataOffset() + h.size();
            long length = f.size();
            String truncated = truncated(h, length);
            if (truncated != null) {
                corruptions++;
                messages.add(truncated + (repair ? "; extended (the missing tail reads zeros)" : ""));
                if (repair) {
                    f.extendSparse(end);
                }
            } else if (length > end) {
                leaks++;
                messages.add((length - end) + " bytes past the data area (ends at " + end + ")"
                        + (repair ? "; cut off" : ""));
                if (repair) {
                    f.truncate(end);
                }
            }
            if (repair && corruptions + leaks > 0) {
                f.datasync();
            }
        }
        return new CheckReport(spec.file(), NAME, corruptions, leaks, repair ? corruptions : 0, repair ? leaks : 0,
                messages);
    }
}
