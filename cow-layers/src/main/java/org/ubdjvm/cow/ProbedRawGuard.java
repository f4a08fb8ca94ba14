package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;
import org.ubdjvm.hostio.IoCompletion;

/**
 * qemu's fix for CVE-2008-2004: a raw image whose format was probed rather than named must never come to probe as
 * another format, or a guest could write a COW header naming any host file into its own disk and be handed that
 * file on the next open. Writes and discards that reach the first {@link ProbeBytes#PROBE_LENGTH} bytes are checked
 * against every other format's probe, and refused when the result would be claimed; the rest pass untouched.
 *
 * <p>Those head writes go one at a time, each checked against what the head holds once the previous has landed, so
 * no two of them can interleave into a header neither was checked as. Each sector boundary of a write is checked
 * too: a write torn there by a crash leaves a head that was checked. After a head write fails, what the head holds is
 * unknown and later head writes are refused until the image is opened again.
 */
final class ProbedRawGuard {
    private static final int SECTOR = RawImage.SECTOR_SIZE;

    private final Path file;
    private final long fileLength;
    private final List<ImageFormat> others;
    /** The first bytes as they are once the write in flight (if any) has landed. */
    private byte[] head;
    private boolean busy;
    private boolean unknown;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();

    private ProbedRawGuard(Path file, long fileLength, List<ImageFormat> others, byte[] head) {
        this.file = file;
        this.fileLength = fileLength;
        this.others = others;
        this.head = head;
    }

    /**
     * Reads the head of {@code image}, now that it is open (and locked), and refuses it if another format claims it
     * after all: the file changed since it was probed.
     */
    static ProbedRawGuard open(Path file, BlockImage image, List<ImageFormat> others) throws IOException {
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(ProbeBytes.PROBE_LENGTH, image.capacity()));
        BlockIo.read(image, 0, head);
        ProbedRawGuard guard = new ProbedRawGuard(file, image.size(), others, head.array());
        String claimant = guard.claimant(head.array());
        if (claimant != null) {
            throw new ImageException(file, "probed as raw, but probes as " + claimant + " now that it is open"
                    + " (changed meanwhile?); open it again");
        }
        return guard;
    }

    /** The warning qemu prints for the same case, as one line. */
    static String warning(Path file) {
        return "warning: " + file + ": the format was probed as raw; probing a raw image is dangerous (a guest could make it"
                + " look like another format), so writes that would do that to its first sectors are refused;"
                + " name the format raw (-f raw, or the d flag of a device) to lift this";
    }

    /** Whether a request at {@code offset} reaches the head. */
    boolean covers(long offset) {
        return offset < head.length;
    }

    void write(long offset, ByteBuffer src, IoCompletion done, Consumer<IoCompletion> forward) {
        byte[] bytes = new byte[(int) Math.min(src.remaining(), head.length - offset)];
        src.duplicate().get(bytes);
        submit(offset, src.remaining(), bytes, "write", done, forward);
    }

    void discard(long offset, long length, IoCompletion done, Consumer<IoCompletion> forward) {
        submit(offset, length, new byte[(int) Math.min(length, head.length - offset)], "discard", done, forward);
    }

    private void submit(long offset, long length, byte[] bytes, String verb, IoCompletion done,
                        Consumer<IoCompletion> forward) {
        Runnable op = () -> run(offset, length, bytes, verb, done, forward);
        synchronized (this) {
            if (busy) {
                waiting.add(op);
                return;
            }
            busy = true;
        }
        op.run();
    }

    private void run(long offset, long length, byte[] bytes, String verb, IoCompletion done,
                     Consumer<IoCompletion> forward) {
        byte[] after;
        String refusal;
        synchronized (this) {
            after = applied(head, offset, bytes, bytes.length);
            refusal = unknown ? "an earlier write to the first sectors failed, so what they hold is unknown;"
                    + " open the image again" : refusal(offset, bytes);
        }
        if (refusal != null) {
            try {
                done.done(0, new ImageException(file, verb + " of " + length + " bytes at offset " + offset
                        + " refused: " + refusal));
            } finally {
                next();
            }
            return;
        }
        forward.accept((n, e) -> {
            synchronized (this) {
                if (e == null) {
                    head = after;
                } else {
                    unknown = true;
                }
            }
            try {
                done.done(n, e);
            } finally {
                next();
            }
        });
    }

    /** Why the write may not land, checked at each sector boundary it could tear at; null when it may. */
    private String refusal(long offset, byte[] bytes) {
        for (int end = Math.min(SECTOR, bytes.length); ; end = Math.min(end + SECTOR, bytes.length)) {
            String claimant = claimant(applied(head, offset, bytes, end));
            if (claimant != null) {
                return "the image's format was probed as raw, and this would make it probe as " + claimant
                        + " (CVE-2008-2004); name the format raw to allow it";
            }
            if (end == bytes.length) {
                return null;
            }
        }
    }

    private String claimant(byte[] candidate) {
        ProbeBytes probe = new ProbeBytes(file, fileLength, candidate);
        for (ImageFormat f : others) {
            if (f.probe(probe)) {
                return f.name();
            }
        }
        return null;
    }

    private static byte[] applied(byte[] head, long offset, byte[] bytes, int count) {
        byte[] out = head.clone();
        System.arraycopy(bytes, 0, out, (int) offset, count);
        return out;
    }

    private void next() {
        Runnable op;
        synchronized (this) {
            op = waiting.poll();
            if (op == null) {
                busy = false;
                return;
            }
        }
        op.run();
    }
}
