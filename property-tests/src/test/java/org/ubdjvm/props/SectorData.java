package org.ubdjvm.props;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** Sector contents that tell their origin apart: backing sectors name themselves, written data is seeded noise. */
final class SectorData {
    static final int SECTOR = 512;

    private SectorData() {
    }

    /**
     * A backing file of {@code length} bytes whose sector s is the text {@code "back %06d "} repeated, as the shared
     * vectors' backing files are, so a dump shows at a glance which sector a read really came from.
     */
    static byte[] backing(long length) {
        byte[] out = new byte[Math.toIntExact(length)];
        for (int s = 0; s * SECTOR < out.length; s++) {
            byte[] word = String.format("back %06d ", s).getBytes(StandardCharsets.US_ASCII);
            int from = s * SECTOR;
            int to = Math.min(out.length, from + SECTOR);
            for (int i = from; i < to; i++) {
                out[i] = word[(i - from) % word.length];
            }
        }
        return out;
    }

    /** {@code length} reproducible random bytes; never mistaken for backing text or zeros. */
    static byte[] random(long seed, int length) {
        byte[] out = new byte[length];
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 1);
        for (int i = 0; i < length; i++) {
            out[i] = (byte) r.nextInt(256);
        }
        return out;
    }

    /** The first bytes of a sector, printable in a one-line failure message. */
    static String preview(byte[] bytes, int from) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = from; i < Math.min(bytes.length, from + 16); i++) {
            int b = bytes[i] & 0xFF;
            sb.append(b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return sb.append("...\"").toString();
    }
}
