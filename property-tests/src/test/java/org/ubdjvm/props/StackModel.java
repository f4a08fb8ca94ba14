package org.ubdjvm.props;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * A stack of files as the user built it: a raw base and COW layers over it, each written only while it was the
 * top. Beside the {@link DiskModel} of what the guest sees it keeps, per layer, which sectors that layer holds and
 * their bytes, so a test can check a COW file's allocated bytes, bitmap and data area, not only what reads return.
 */
final class StackModel {
    static final int SECTOR = SectorData.SECTOR;

    /**
     * One file of the stack.
     *
     * @param kind    raw, or the UML COW version and layout
     * @param size    the size recorded for this layer: a COW header's size field; for the raw base, unused
     * @param owned   sectors this layer holds (a COW layer's bitmap; for the raw base, the sectors written into it)
     * @param data    this layer's bytes for the sectors it holds (the raw base: its whole content)
     */
    record Layer(Path file, LayerKind kind, long size, BitSet owned, byte[] data) {
        /** The base: raw, or raw wrapped as DISK or HEADER. */
        boolean raw() {
            return kind.base();
        }

        /** 0 for the raw base, else the UML COW version. */
        int version() {
            return kind.version();
        }

        String label() {
            return kind.toString();
        }
    }

    private final List<Layer> layers = new ArrayList<>();
    private final DiskModel disk;
    private long rawLength;
    private long size;
    /** The NBD URI the raw base is reached through (its first COW layer's backing), or null: the file itself. */
    private String baseUri;

    private StackModel(Path rawFile, byte[] rawContent) {
        this.disk = new DiskModel(rawContent);
        this.rawLength = rawContent.length;
        this.size = rawContent.length;
        layers.add(new Layer(rawFile, LayerKind.RAW, rawContent.length, new BitSet(),
                Arrays.copyOf(rawContent, Math.toIntExact(disk.capacity()))));
    }

    static StackModel overRaw(Path rawFile, byte[] rawContent) {
        return new StackModel(rawFile, rawContent);
    }

    /** The raw file the base's bytes are in (a HEADER base's data file); the base's own file otherwise. */
    private Path baseData;

    /** The base is now {@code file}, a DISK or HEADER made from the raw base; its bytes stay as they were. */
    void wrapBase(Path file, LayerKind kind) {
        Layer base = layers.get(0);
        baseData = kind == LayerKind.HEADER ? base.file() : file;
        layers.set(0, new Layer(file, kind, base.size(), base.owned(), base.data()));
    }

    /** Where the base's disk bytes are: the raw base, a DISK's file, a HEADER's data file. */
    Path baseData() {
        return baseData != null ? baseData : layers.get(0).file();
    }

    /** From now on the raw base is reached through the NBD export {@code uri}. */
    void servedAs(String uri) {
        baseUri = uri;
    }

    String baseUri() {
        return baseUri;
    }

    DiskModel disk() {
        return disk;
    }

    List<Layer> layers() {
        return List.copyOf(layers);
    }

    Layer top() {
        return layers.get(layers.size() - 1);
    }

    int cowLayers() {
        return layers.size() - 1;
    }

    /** What the open top reports as its exact size. */
    long size() {
        return size;
    }

    /** The raw base file's length: writing its last sector extends an odd-sized file to a whole sector. */
    long rawLength() {
        return rawLength;
    }

    /** The size a new COW layer over the current top records: what opening the top reports. */
    long sizeForNewLayer() {
        return top().raw() ? rawLength : top().size();
    }

    void write(long offset, byte[] data) {
        disk.write(offset, data);
        Layer top = top();
        System.arraycopy(data, 0, top.data(), Math.toIntExact(offset), data.length);
        top.owned().set(Math.toIntExact(offset / SECTOR), Math.toIntExact((offset + data.length) / SECTOR));
        if (top.raw()) {
            rawLength = Math.max(rawLength, offset + data.length);
        }
    }

    /**
     * Discarded sectors read zeros. A COW top holds them from now on (bits set over a hole in its data area, so the
     * layer below no longer shows through); a raw top punches a hole and keeps its length.
     */
    void discard(long offset, int length) {
        byte[] zeros = new byte[length];
        disk.write(offset, zeros);
        Layer top = top();
        System.arraycopy(zeros, 0, top.data(), Math.toIntExact(offset), length);
        top.owned().set(Math.toIntExact(offset / SECTOR), Math.toIntExact((offset + length) / SECTOR));
    }

    void addLayer(Path file, LayerKind kind) {
        long layerSize = sizeForNewLayer();
        layers.add(new Layer(file, kind, layerSize, new BitSet(), new byte[Math.toIntExact(disk.capacity())]));
        size = layerSize;
    }

    /** The top was closed and opened again: a raw top now reports its file's length. */
    void reopened() {
        size = top().raw() ? rawLength : top().size();
    }

    /** Index (0 = raw base) of the layer a read of {@code sector} is served from. */
    int ownerOf(long sector) {
        for (int i = layers.size() - 1; i > 0; i--) {
            if (layers.get(i).owned().get(Math.toIntExact(sector))) {
                return i;
            }
        }
        return 0;
    }

    /** Whether a read of these sectors needs more than one layer (the 6.1 kernel's multi-run case). */
    boolean straddles(long sector, int count) {
        for (long s = sector + 1; s < sector + count; s++) {
            if (ownerOf(s) != ownerOf(sector)) {
                return true;
            }
        }
        return false;
    }

    /** Sectors b such that b-1 and b are served by different layers. */
    List<Long> boundaries() {
        List<Long> out = new ArrayList<>();
        for (long s = 1; s < disk.sectors(); s++) {
            if (ownerOf(s) != ownerOf(s - 1)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Whether the model's own two views agree: resolving the layers top-down gives the disk. */
    String selfCheck() {
        for (long s = 0; s < disk.sectors(); s++) {
            byte[] fromLayer = Arrays.copyOfRange(layers.get(ownerOf(s)).data(), Math.toIntExact(s * SECTOR),
                    Math.toIntExact((s + 1) * SECTOR));
            if (!Arrays.equals(fromLayer, disk.sector(s))) {
                return "model inconsistent at sector " + s;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = layers.size() - 1; i >= 0; i--) {
            sb.append(layers.get(i).label()).append(i > 0 ? " over " : "");
        }
        sb.append(baseUri != null ? " (served over NBD)" : "");
        return sb.append(' ').append(size).append(" B").toString();
    }
}
