package org.ubdjvm.cow;

import java.io.IOException;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.OpenMode;

/** Entry 0: the file is the disk, byte for byte. Never claims a file when probing; it is what is left. */
public final class RawFormat implements ImageFormat {
    public static final String NAME = "raw";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean probe(ProbeBytes head) {
        return false;
    }

    @Override
    public BlockImage open(OpenSpec spec, FormatTable table) throws IOException {
        if (spec.backing() != null) {
            throw new ImageException(spec.file(), "a raw image has no backing file (given: " + spec.backing() + ")");
        }
        return new RawImage(HostFile.open(spec.file(), spec.hostMode()), spec.engine());
    }

    @Override
    public List<CreateOption> createOptions() {
        return List.of();
    }

    @Override
    public void create(CreateSpec spec, FormatTable table) throws IOException {
        if (spec.backing() != null) {
            throw new ImageException(spec.file(), "format raw takes no backing file");
        }
        if (spec.size() <= 0) {
            throw new ImageException(spec.file(), "size must be positive (given " + spec.size() + ")");
        }
        // qemu-img rounds a raw image up to whole sectors; so do we, so every byte is addressable.
        long size = ProbeBytes.roundUp(spec.size(), RawImage.SECTOR_SIZE);
        try (HostFile f = HostFile.open(spec.file(), OpenMode.CREATE_NEW)) {
            f.extendSparse(size);
        }
    }

    /** Every byte of a raw file is disk, so there is nothing to be inconsistent; the file need only be readable. */
    @Override
    public CheckReport check(OpenSpec spec, boolean repair, FormatTable table) throws IOException {
        if (spec.backing() != null) {
            throw new ImageException(spec.file(), "a raw image has no backing file (given: " + spec.backing() + ")");
        }
        HostFile.open(spec.file(), OpenMode.READ_ONLY).close();
        return CheckReport.clean(spec.file(), NAME);
    }
}
