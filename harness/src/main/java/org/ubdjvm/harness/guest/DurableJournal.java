package org.ubdjvm.harness.guest;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.ubdjvm.hostio.PendingFile;

/**
 * What the guest knows is durable: for every block, the generation of the last write that completed before a flush
 * that has completed. Rewritten atomically ({@link PendingFile}: temporary, fsync, rename) after each flush, so a
 * {@code kill -9} at any moment leaves the last complete record; a checker then demands every block read at least that generation.
 */
final class DurableJournal {
    private static final int MAGIC = 0x55424A31; // "UBJ1"

    private final Path file;
    private final int blockSize;
    private final int[][] durable;

    DurableJournal(Path file, int blockSize, long[] blocksPerDevice) {
        this.file = file;
        this.blockSize = blockSize;
        this.durable = new int[blocksPerDevice.length][];
        for (int d = 0; d < blocksPerDevice.length; d++) {
            durable[d] = new int[(int) blocksPerDevice[d]];
        }
    }

    /** A flush of {@code device} completed: {@code generations} (taken when it was submitted) from block {@code from} are durable. */
    synchronized void commit(int device, long from, int[] generations) throws IOException {
        System.arraycopy(generations, 0, durable[device], (int) from, generations.length);
        int size = 12;
        for (int[] d : durable) {
            size += 4 + 4 * d.length;
        }
        ByteBuffer buf = ByteBuffer.allocate(size).putInt(MAGIC).putInt(blockSize).putInt(durable.length);
        for (int[] d : durable) {
            buf.putInt(d.length);
            for (int g : d) {
                buf.putInt(g);
            }
        }
        try (PendingFile next = PendingFile.beside(file, "journal")) {
            try (FileChannel ch = FileChannel.open(next.path(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(buf.flip());
            }
            next.commit(true);
        }
    }

    /**
     * Makes and removes an empty file where the journal's rewrites are made: a missing directory, a read-only or
     * full filesystem or a denied permission is one line naming the journal, before any workload runs.
     */
    static void checkWritable(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException(file + ": is a directory; --journal names a file");
        }
        org.ubdjvm.harness.NewFile.requireWritable(file, "journal");
    }

    /** A journal as written: block size and per-device generations. */
    record Record(int blockSize, int[][] durable) {
    }

    static Record read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file); DataInputStream data = new DataInputStream(in)) {
            if (data.readInt() != MAGIC) {
                throw new IOException(file + ": not a ubd durable journal");
            }
            int blockSize = data.readInt();
            int[][] durable = new int[data.readInt()][];
            for (int d = 0; d < durable.length; d++) {
                durable[d] = new int[data.readInt()];
                for (int b = 0; b < durable[d].length; b++) {
                    durable[d][b] = data.readInt();
                }
            }
            return new Record(blockSize, durable);
        }
    }
}
