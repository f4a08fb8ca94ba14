package org.ubdjvm.cow.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small disk images with recognisable contents, like the shared vectors' ("back 000042 " repeated). */
public final class Disks {
    private Disks() {
    }

    /** 512 bytes of {@code String.format(format, sector)} repeated. */
    public static byte[] sector(String format, long sector) {
        byte[] text = String.format(format, sector).getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[512];
        for (int i = 0; i < out.length; i++) {
            out[i] = text[i % text.length];
        }
        return out;
    }

    /** A raw file of {@code size} bytes whose sector s holds "back %06d " repeated (the last one cut short). */
    public static Path patternedRaw(Path file, long size) throws IOException {
        byte[] all = new byte[(int) size];
        for (int s = 0; s * 512L < size; s++) {
            byte[] one = sector("back %06d ", s);
            System.arraycopy(one, 0, all, s * 512, (int) Math.min(512, size - s * 512L));
        }
        Files.write(file, all);
        return file;
    }
}
