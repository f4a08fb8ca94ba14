package org.ubdjvm.props;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.ubdjvm.cow.FormatTable;

/**
 * Reads the closed files of a stack byte by byte, by the spec's offsets, and compares them with the model: every
 * header names its lower file with that file's size and mtime, every bitmap has exactly the bits of the sectors
 * the layer holds, every held sector's data is in the data area, and the raw base holds its bytes.
 */
final class OnDiskCheck {
    private static final int SECTOR = SectorData.SECTOR;

    private OnDiskCheck() {
    }

    static void verify(StackModel model) throws IOException {
        List<StackModel.Layer> layers = model.layers();
        verifyRaw(layers.get(0), model.baseData(), model.rawLength());
        for (int i = 1; i < layers.size(); i++) {
            if (layers.get(i).kind().isam()) {
                verifyIsam(layers.get(i), layers.get(i - 1));
            } else {
                verifyCow(layers.get(i), layers.get(i - 1), i == 1 ? model.baseUri() : null);
            }
        }
    }

    /** The base's bytes: the whole raw file (a HEADER's data file), or a DISK's data after its header. */
    private static void verifyRaw(StackModel.Layer raw, Path data, long length) throws IOException {
        byte[] all = Files.readAllBytes(data);
        int skip = raw.kind() == LayerKind.DISK ? LayerKind.DISK_DATA_OFFSET : 0;
        byte[] file = Arrays.copyOfRange(all, Math.min(skip, all.length), all.length);
        require(file.length == length, raw, "length " + file.length + ", expected " + length);
        int mismatch = Arrays.mismatch(file, 0, file.length, raw.data(), 0, file.length);
        require(mismatch < 0, raw, "byte " + mismatch + " differs from what was written");
    }

    private static void verifyCow(StackModel.Layer layer, StackModel.Layer lower, String lowerUri) throws IOException {
        CowGeometry g = CowGeometry.of(layer.kind(), layer.size());
        try (RandomAccessFile f = new RandomAccessFile(layer.file().toFile(), "r")) {
            byte[] header = readFully(f, 0, (int) g.bitmapOffset());
            require(Arrays.equals(Arrays.copyOf(header, 8), g.head()), layer, "magic/version bytes are wrong");
            require(g.storedSize(header) == layer.size(), layer, "size field " + g.storedSize(header));
            require(g.intField(header, g.sectorSizeOffset()) == SECTOR, layer, "sectorsize field at "
                    + g.sectorSizeOffset() + " is " + g.intField(header, g.sectorSizeOffset()));
            if (g.version() == 3) {
                require(g.intField(header, g.alignmentOffset()) == CowGeometry.ALIGNMENT, layer, "alignment field at "
                        + g.alignmentOffset() + " is " + g.intField(header, g.alignmentOffset()));
                require(g.intField(header, g.cowFormatOffset()) == 0, layer, "cow_format field at "
                        + g.cowFormatOffset() + " is " + g.intField(header, g.cowFormatOffset()));
            }
            for (int[] pad : g.paddingRanges()) {
                for (int i = pad[0]; i < pad[1]; i++) {
                    require(header[i] == 0, layer, "padding byte " + i + " of the header is " + header[i]);
                }
            }
            // an NBD export has no mtime: 0 is stored; its name is the URI in its standard form
            long lowerMtime = lowerUri != null ? 0 : Files.getLastModifiedTime(lower.file()).to(TimeUnit.SECONDS);
            require(g.mtime(header) == lowerMtime, layer, "mtime field " + g.mtime(header)
                    + " but the lower file's mtime is " + lowerMtime + " (" + FileTime.from(lowerMtime, TimeUnit.SECONDS) + ")");
            String expected = lowerUri != null ? FormatTable.standard().protocolLocation(lowerUri)
                    : storedNameOf(lower.file());
            require(g.backingFile(header).equals(expected), layer, "backing_file \"" + g.backingFile(header)
                    + "\", expected \"" + expected + "\"");

            byte[] bits = readFully(f, g.bitmapOffset(), Math.toIntExact((g.sectors() + 7) / 8));
            for (long s = 0; s < bits.length * 8L; s++) {
                boolean set = (bits[(int) (s / 8)] & (1 << (s % 8))) != 0;
                boolean held = s < g.sectors() && layer.owned().get(Math.toIntExact(s));
                require(set == held, layer, "bitmap bit " + s + " is " + (set ? "set" : "clear")
                        + " but the layer " + (held ? "holds" : "does not hold") + " sector " + s);
            }
            for (int s = layer.owned().nextSetBit(0); s >= 0; s = layer.owned().nextSetBit(s + 1)) {
                byte[] data = readFully(f, g.dataOffset() + (long) s * SECTOR, SECTOR);
                require(Arrays.equals(data, 0, SECTOR, layer.data(), s * SECTOR, (s + 1) * SECTOR), layer,
                        "data of sector " + s + " at offset " + (g.dataOffset() + (long) s * SECTOR) + " is "
                                + SectorData.preview(data, 0) + ", expected " + SectorData.preview(layer.data(), s * SECTOR));
            }
        }
    }

    /**
     * An ISAM layer by docs/formats.md's offsets: the poisoned V3 part, the ISAM fields, and for every sector the
     * entry reached through the directory: set exactly for the sectors the layer holds, pointing at their bytes (or
     * the zero marker for a discarded sector whose bytes are zeros).
     */
    private static void verifyIsam(StackModel.Layer layer, StackModel.Layer lower) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(layer.file().toFile(), "r")) {
            java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(readFully(f, 0, IsamGeometry.HEADER));
            require(h.getInt(0) == CowGeometry.MAGIC && h.getInt(4) == 3 && h.getInt(28) == 1 && h.getLong(12) == -1
                    && h.getInt(4128) == 0x4953414D, layer, "not a V3 header with cow_format 1, size 2^64-1 and ISAM");
            require(h.getLong(4136) == layer.size(), layer, "disk_size field " + h.getLong(4136));
            require(h.getInt(20) == SECTOR && h.getInt(4144) == SECTOR, layer, "sector or unit size not 512");
            long lowerMtime = Files.getLastModifiedTime(lower.file()).to(TimeUnit.SECONDS);
            require(h.getLong(4152) == lowerMtime, layer, "mtime field " + h.getLong(4152) + ", lower file " + lowerMtime);
            String name = new String(readFully(f, 4608, (int) h.getLong(4168)), java.nio.charset.StandardCharsets.UTF_8);
            require(name.equals(storedNameOf(lower.file())), layer, "backing name \"" + name + "\"");
            long sectors = (layer.size() + SECTOR - 1) / SECTOR;
            for (int s = 0; s < sectors; s++) {
                long page = java.nio.ByteBuffer.wrap(readFully(f, IsamGeometry.DIRECTORY + s / 512 * 8L, 8)).getLong();
                long entry = page == 0 ? 0 : java.nio.ByteBuffer.wrap(readFully(f, page + s % 512 * 8L, 8)).getLong();
                boolean held = layer.owned().get(s);
                require((entry != 0) == held, layer, "entry of sector " + s + " is " + entry + " but the layer "
                        + (held ? "holds" : "does not hold") + " it");
                byte[] expected = Arrays.copyOfRange(layer.data(), s * SECTOR, (s + 1) * SECTOR);
                byte[] data = entry == 1 ? new byte[SECTOR] : entry == 0 ? expected : readFully(f, entry, SECTOR);
                require(Arrays.equals(data, expected), layer, "data of sector " + s + " at " + entry + " is "
                        + SectorData.preview(data, 0) + ", expected " + SectorData.preview(expected, 0));
            }
        }
    }

    /** The directory resolved, the final name kept: what uml_mkcow (and cow-layers) store. */
    private static String storedNameOf(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        return abs.getParent().toRealPath().resolve(abs.getFileName().toString()).toString();
    }

    private static byte[] readFully(RandomAccessFile f, long at, int length) throws IOException {
        byte[] out = new byte[length];
        f.seek(at);
        int n = 0;
        while (n < length) {
            int r = f.read(out, n, length - n);
            if (r < 0) {
                break; // past the end of a sparse file the bytes are zero
            }
            n += r;
        }
        return out;
    }

    private static void require(boolean ok, StackModel.Layer layer, String what) {
        if (!ok) {
            throw new AssertionError(layer.file().getFileName() + " (" + layer.label() + " on disk): " + what);
        }
    }
}
