package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.OpenMode;
import org.ubdjvm.hostio.PendingFile;

/**
 * The seed's {@code uml_fix}: a V1/V2 file whose bitmap overlaps its data (spec 4.2) made again as V3, whose
 * bitmap has room for every bit, with the same backing, mtime and size and each COW sector's data moved to the V3
 * data area. Crash-safe: the new file is made beside the old one and renamed over it once complete and durable, so
 * a kill at any point leaves the old file or the repaired one, never a mix.
 *
 * <p>The overlapped byte is data sector 0's first byte when sector 0 is in the COW file (the kernel writes it
 * there, and never the bits: it keeps only the formula's bitmap bytes); then the last sectors' bits are taken as
 * clear, as every reader took them, and they keep reading the backing. When sector 0 is not in the COW file no
 * data was ever written there, so the byte can only hold those bits (a writer that sized its bitmap right put
 * them there), and they are kept.
 */
final class UmlCowRelayout {
    private static final int CHUNK = 1 << 20;

    private UmlCowRelayout() {
    }

    static UmlCowHeader v3Of(UmlCowHeader h) {
        return new UmlCowHeader(UmlCowLayout.V3, h.mtime(), h.size(), h.sectorSize(), UmlCowFormat.CREATE_ALIGNMENT,
                0, h.backingFile());
    }

    /** Rewrites {@code cow} (open, locked) as V3; returns the new header. */
    static UmlCowHeader rewrite(HostFile cow, UmlCowHeader h, Path file) throws IOException {
        UmlCowHeader v3 = v3Of(h);
        byte[] header = v3.encode(file);
        if (!UmlCowHeader.decode(new ProbeBytes(file, header.length, header)).equals(v3)) {
            throw new IllegalStateException("encoded header does not decode to itself: " + v3);
        }
        byte[] bits = bitsWithOverlap(cow, h);
        Path target = file.toRealPath();
        try (PendingFile part = PendingFile.beside(target, "repair")) {
            try (HostFile out = HostFile.open(part.path(), OpenMode.CREATE_NEW)) {
                out.write(ByteBuffer.wrap(header), 0);
                out.write(ByteBuffer.wrap(bits), v3.bitmapOffset());
                copyData(cow, h, out, v3, bits);
                out.extendSparse(v3.dataOffset() + v3.size());
            }
            Files.setPosixFilePermissions(part.path(), Files.getPosixFilePermissions(target));
            part.commit(true);
        }
        return v3;
    }

    private static byte[] bitsWithOverlap(HostFile cow, UmlCowHeader h) throws IOException {
        byte[] bits = readBitmap(cow, h);
        if ((bits[0] & 1) != 0) {
            return bits; // the byte is sector 0's data
        }
        ByteBuffer shared = ByteBuffer.allocate(1);
        cow.read(shared, h.dataOffset());
        int used = (int) (h.sectors() % 8);
        int mask = used == 0 ? 0xFF : (1 << used) - 1; // not the bits past the disk
        bits[bits.length - 1] = (byte) (shared.get(0) & mask);
        return bits;
    }

    /**
     * The whole bitmap in memory: only V1 and V2 files overlap, and their bitmaps are small (V1's size field is 32
     * bits; a V2 disk whose bitmap overlaps is one the kernel itself made, of a few GiB at most).
     */
    private static byte[] readBitmap(HostFile cow, UmlCowHeader h) throws IOException {
        long bo = h.bitmapOffset();
        int needed = Math.toIntExact((h.sectors() + 7) / 8);
        int readable = (int) Math.max(0, Math.min(needed, Math.min(cow.size(), h.dataOffset()) - bo));
        byte[] bits = new byte[needed];
        cow.read(ByteBuffer.wrap(bits, 0, readable), bo);
        return bits;
    }

    private static boolean held(byte[] bits, long sector) {
        return (bits[(int) (sector >>> 3)] & (1 << (sector & 7))) != 0;
    }

    /** Each run of COW sectors, read from the old data area and written at the same place in the new one. */
    private static void copyData(HostFile from, UmlCowHeader h, HostFile to, UmlCowHeader v3, byte[] bits)
            throws IOException {
        int ss = h.sectorSize();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        long sectors = h.sectors();
        for (long s = 0; s < sectors; ) {
            boolean held = held(bits, s);
            long runEnd = s + 1;
            while (runEnd < sectors && runEnd < s + CHUNK / ss && held(bits, runEnd) == held) {
                runEnd++;
            }
            if (held) {
                buf.clear().limit((int) ((runEnd - s) * ss));
                int n = Math.max(0, from.read(buf, h.dataOffset() + s * ss));
                buf.clear().limit((int) ((runEnd - s) * ss)); // past the old file's end: zeros, as it read
                for (int i = n; i < buf.limit(); i++) {
                    buf.put(i, (byte) 0);
                }
                to.write(buf, v3.dataOffset() + s * ss);
            }
            s = runEnd;
        }
    }
}
