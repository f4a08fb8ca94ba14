package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;

/**
 * An open DISK or HEADER file: its data served through an {@link ImageWindow} (after the header, or in the data
 * file), its geometry reported by {@link #info()}. A HEADER written through records the data file's new mtime in
 * its header at close, so its own writes do not make the next open refuse the data file as changed.
 */
final class DiskImage extends ForwardingBlockImage {
    private final Path file;
    private final DiskHeader header;
    /** The HEADER file, kept open (and locked) to record the data file's mtime at close; null for DISK. */
    private final HostFile headerFile;
    /** The data file as opened (HEADER), or null. */
    private final Path dataFile;
    private volatile boolean written;

    DiskImage(Path file, DiskHeader header, BlockImage window, HostFile headerFile, Path dataFile) {
        super(window);
        this.file = file;
        this.header = header;
        this.headerFile = headerFile;
        this.dataFile = dataFile;
    }

    @Override
    public void write(long offset, ByteBuffer src, IoCompletion done) {
        written = true;
        super.write(offset, src, done);
    }

    @Override
    public void discard(long offset, long length, IoCompletion done) {
        written = true;
        super.discard(offset, length, done);
    }

    @Override
    public ImageInfo info() throws IOException {
        Map<String, Object> specific = new LinkedHashMap<>();
        specific.put("geometry", header.geometry() == null ? "none" : header.geometry().toString());
        specific.put("data-offset", header.dataOffset());
        specific.put("alignment", header.alignment());
        specific.put("padded", header.padded());
        if (header.dataFileName() != null) {
            specific.put("data-file", header.dataFileName());
            specific.put("data-file-opened", dataFile.toString());
            specific.put("name-as-given", (header.flags() & DiskHeader.FLAG_NAME_AS_GIVEN) != 0);
        }
        return new ImageInfo(file, DiskHeaders.formatName(header.kind()), header.size(), header.sectorSize(),
                Files.size(file), null, null, specific, null, header.geometry());
    }

    @Override
    public void close() throws IOException {
        try {
            super.close();
            if (headerFile != null && written) {
                recordDataMtime();
            }
        } finally {
            if (headerFile != null) {
                headerFile.close();
            }
        }
    }

    /**
     * Rewrites the header with the data file's mtime now, after the data is durable (the window flushed it at
     * close). Only the first 512 bytes change (mtime and CRC live there), in one aligned write; a crash before it
     * leaves the old mtime, which the next open reports (and {@code check -r} records), a torn write fails the CRC.
     */
    private void recordDataMtime() throws IOException {
        DiskHeader updated = header.withDataFileMtime(HostFile.mtimeSeconds(dataFile));
        byte[] bytes = updated.encode(file);
        headerFile.write(ByteBuffer.wrap(bytes, 0, Math.min(bytes.length, DiskHeader.UNIT)), 0);
        headerFile.datasync();
    }
}
