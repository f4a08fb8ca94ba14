package org.ubdjvm.cow.testing.conformance;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The oracle: the virtual disk as one byte array, and for each sector which file of the stack holds it (0 = the
 * bottom file). Obviously right, so every read of the image under test is compared with it.
 */
final class ImageModel {
    private final int sectorSize;
    private final byte[] bytes;
    private final int[] holder;
    private int top;

    /** A one-file disk holding {@code content}, every sector held by that file. */
    ImageModel(byte[] content, int sectorSize) {
        if (content.length % sectorSize != 0) {
            throw new IllegalArgumentException("content of " + content.length + " bytes is not whole sectors");
        }
        this.sectorSize = sectorSize;
        this.bytes = content.clone();
        this.holder = new int[content.length / sectorSize];
    }

    private ImageModel(ImageModel other) {
        this.sectorSize = other.sectorSize;
        this.bytes = other.bytes.clone();
        this.holder = other.holder.clone();
        this.top = other.top;
    }

    ImageModel copy() {
        return new ImageModel(this);
    }

    /** The same one-file disk counted in sectors of {@code size} bytes. */
    ImageModel inSectorsOf(int size) {
        if (top != 0) {
            throw new IllegalStateException("the sector size is chosen before any layer goes on");
        }
        return new ImageModel(bytes, size);
    }

    int sectorSize() {
        return sectorSize;
    }

    long capacity() {
        return bytes.length;
    }

    int sectors() {
        return holder.length;
    }

    /** Files in the stack. */
    int layers() {
        return top + 1;
    }

    /** A new empty file on top: it holds nothing yet. */
    void addLayer() {
        top++;
    }

    void write(long offset, byte[] data) {
        System.arraycopy(data, 0, bytes, Math.toIntExact(offset), data.length);
        Arrays.fill(holder, sector(offset), sector(offset + data.length), top);
    }

    /** A discarded range reads zeros and is held by the top file (a COW layer must hide what lies below). */
    void discard(long offset, long length) {
        Arrays.fill(bytes, Math.toIntExact(offset), Math.toIntExact(offset + length), (byte) 0);
        Arrays.fill(holder, sector(offset), sector(offset + length), top);
    }

    byte[] read(long offset, int length) {
        return Arrays.copyOfRange(bytes, Math.toIntExact(offset), Math.toIntExact(offset) + length);
    }

    /** Layers between the top and the file holding {@code sector}: 0 = the top itself, 1 = the one below, ... */
    int depth(long sector) {
        return top - holder[Math.toIntExact(sector)];
    }

    boolean zero(long sector) {
        int from = Math.toIntExact(sector * sectorSize);
        for (int i = from; i < from + sectorSize; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** How many different files hold the {@code count} sectors from {@code first}. */
    int layersServing(long first, int count) {
        return (int) Arrays.stream(holder, Math.toIntExact(first), Math.toIntExact(first) + count).distinct().count();
    }

    /** Null when {@code actual} equals the disk from {@code offset} on; else the first sector that differs and how. */
    String difference(long offset, byte[] actual) {
        int from = Math.toIntExact(offset);
        int mismatch = Arrays.mismatch(bytes, from, from + actual.length, actual, 0, actual.length);
        if (mismatch < 0) {
            return null;
        }
        long sector = (from + mismatch) / sectorSize;
        int inActual = Math.toIntExact(sector * sectorSize - from);
        return "sector " + sector + " (held " + describeDepth(depth(sector)) + ") differs at byte " + (from + mismatch)
                + ": expected " + preview(bytes, Math.toIntExact(sector * sectorSize)) + ", got "
                + preview(actual, Math.max(0, inActual));
    }

    static String describeDepth(int depth) {
        return depth == 0 ? "by the top file" : depth + " file" + (depth == 1 ? "" : "s") + " below the top";
    }

    /** The first bytes of a sector, printable: the suite's sectors start with text saying who wrote them. */
    static String preview(byte[] b, int at) {
        int n = Math.min(24, b.length - at);
        String s = new String(b, at, Math.max(0, n), StandardCharsets.ISO_8859_1);
        return '"' + s.replaceAll("[^\\x20-\\x7e]", ".") + '"';
    }

    private int sector(long offset) {
        return Math.toIntExact(offset / sectorSize);
    }
}
