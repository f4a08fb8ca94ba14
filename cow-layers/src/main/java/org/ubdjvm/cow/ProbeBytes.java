package org.ubdjvm.cow;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.HostIoException;

/**
 * The first bytes of a file, read in whole 512-byte units (the seed: raw devices refuse smaller reads), enough for
 * the largest header any format has (the old 64-bit UML COW V3: 4136 bytes).
 */
public record ProbeBytes(Path file, long fileLength, byte[] bytes) {
    static final int PROBE_LENGTH = 4608;

    public static ProbeBytes read(HostFile file) throws HostIoException {
        long length = file.size();
        int unit = Math.max(512, file.directAlignment()); // an O_DIRECT file reads whole blocks only
        ByteBuffer buf = ByteBuffer.allocate((int) roundUp(Math.min(PROBE_LENGTH, roundUp(length, 512)), unit));
        int n = file.read(buf, 0);
        byte[] bytes = new byte[(int) Math.min(Math.min(n, length), PROBE_LENGTH)];
        System.arraycopy(buf.array(), 0, bytes, 0, bytes.length);
        return new ProbeBytes(file.path(), length, bytes);
    }

    public ByteBuffer buffer() {
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }

    static long roundUp(long x, long unit) {
        return (x + unit - 1) / unit * unit;
    }
}
