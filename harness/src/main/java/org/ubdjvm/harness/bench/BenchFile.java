package org.ubdjvm.harness.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The data file a benchmark runs on: real, non-zero bytes (a sparse file would read holes, not data). */
final class BenchFile {
    private static final int CHUNK = 1 << 20;

    private BenchFile() {
    }

    /** Creates {@code path}, or extends it, until it holds at least {@code size} bytes of non-zero data. */
    static void prepare(Path path, long size) throws IOException {
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            throw new IOException(path + ": not a regular file");
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long at = ch.size();
            if (at >= size) {
                return;
            }
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
            for (int i = 0; i < CHUNK; i++) {
                chunk.put(i, (byte) ((i * 131 + 17) | 1));
            }
            while (at < size) {
                chunk.clear().limit((int) Math.min(CHUNK, size - at));
                while (chunk.hasRemaining()) {
                    at += ch.write(chunk, at);
                }
            }
        }
    }

    /** Reads the first {@code size} bytes once, so that reads are served from the page cache. */
    static void warm(Path path, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
            long end = Math.min(size, ch.size());
            for (long at = 0; at < end; ) {
                chunk.clear();
                int n = ch.read(chunk, at);
                if (n < 0) {
                    break;
                }
                at += n;
            }
        }
    }
}
