package org.ubdjvm.cow;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * A checked in-place change of a UML COW header (house rule: never rewrite a header without checking the result).
 * Only the fields that change are overwritten in the bytes on disk (the bytes after the backing name's NUL stay as
 * they are); the result must decode to the new header and describe the same bitmap and data, and every changed byte
 * must lie in one 512-byte sector, so the write is atomic on any disk: a crash leaves the old header or the new one.
 *
 * @param offset where the changed bytes start in the file
 * @param bytes  the new bytes; empty when the header already says this
 */
record UmlCowHeaderChange(long offset, byte[] bytes) {
    static final int SECTOR = 512;

    static UmlCowHeaderChange of(Path file, byte[] onDisk, UmlCowHeader old, UmlCowHeader next) throws ImageException {
        UmlCowLayout layout = old.layout();
        if (!next.layout().equals(layout)) {
            throw new IllegalArgumentException("layout change " + layout.name() + " -> " + next.layout().name());
        }
        byte[] encoded = next.encode(file);
        byte[] merged = Arrays.copyOf(onDisk, layout.headerSize());
        copy(encoded, merged, layout.mtimeOffset(), 4);
        copy(encoded, merged, layout.sizeOffset(), 8);
        int nameEnd = layout.backingOffset();
        while (encoded[nameEnd] != 0) {
            nameEnd++;
        }
        copy(encoded, merged, layout.backingOffset(), nameEnd + 1 - layout.backingOffset());
        UmlCowHeader check = UmlCowHeader.decode(new ProbeBytes(file, merged.length, merged));
        if (!check.equals(next) || check.bitmapOffset() != old.bitmapOffset() || check.dataOffset() != old.dataOffset()) {
            throw new ImageException(file, "cannot rewrite the header: the new one would not describe the same bitmap and data");
        }
        int lo = 0;
        while (lo < merged.length && merged[lo] == onDisk[lo]) {
            lo++;
        }
        if (lo == merged.length) {
            return new UmlCowHeaderChange(0, new byte[0]);
        }
        int hi = merged.length;
        while (merged[hi - 1] == onDisk[hi - 1]) {
            hi--;
        }
        if (lo / SECTOR != (hi - 1) / SECTOR) {
            throw new ImageException(file, "cannot rewrite the " + layout.name() + " header atomically: the change spans"
                    + " bytes " + lo + ".." + (hi - 1) + ", more than one 512-byte sector (" + why(layout, old, next)
                    + "); ubd convert -O cow -B BACKING makes such a layer afresh, holding only what differs");
        }
        return new UmlCowHeaderChange(lo, Arrays.copyOfRange(merged, lo, hi));
    }

    /** Why the change spans sectors, and what would keep it in one. */
    private static String why(UmlCowLayout layout, UmlCowHeader old, UmlCowHeader next) {
        boolean nameChanges = !old.backingFile().equals(next.backingFile());
        boolean recordChanges = old.mtime() != next.mtime() || old.size() != next.size();
        if (nameChanges && recordChanges && layout.backingOffset() / SECTOR != layout.mtimeOffset() / SECTOR) {
            return "its backing name at byte " + layout.backingOffset() + " and the backing's mtime at byte "
                    + layout.mtimeOffset() + " both change; version 3 keeps them in one sector";
        }
        return "the backing name crosses a sector boundary; a shorter name keeps it in one";
    }

    private static void copy(byte[] from, byte[] to, int offset, int length) {
        System.arraycopy(from, offset, to, offset, length);
    }

    boolean empty() {
        return bytes.length == 0;
    }
}
