package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.PendingFile;

/**
 * Copies a whole virtual disk into a new image of any format ({@code ubd convert}, qemu-img convert). Sparse: ranges
 * no layer holds (the allocation query says so) are not read, and blocks that read as zeros are not written, so
 * the copy stays as sparse as the disk.
 */
public final class ImageCopy {
    /** Read size; zero detection works on finer blocks. */
    private static final int CHUNK = 1 << 20;
    private static final int ZERO_BLOCK = 4096;

    private ImageCopy() {
    }

    /**
     * Writes {@code from}'s disk as a new image {@code out} of {@code format}, atomically: the image is built beside
     * {@code out} and renamed over it only when complete and durable, so after a failure {@code out} is as it was
     * (or absent) and only the file made here is deleted. {@code out} may be a symlink (the file it names is
     * replaced); it may not be a layer of {@code from}, nor anything but a regular file.
     */
    public static void convert(BlockImage from, Path out, String format, FormatTable table, IoEngine engine,
                               Consumer<String> warnings) throws IOException {
        refuseLayerAsOutput(from.info(), out);
        Path target = Files.exists(out) ? out.toRealPath() : out.toAbsolutePath();
        boolean replacing = Files.exists(target);
        if (replacing && !Files.isRegularFile(target)) {
            throw new ImageException(out, "not a regular file; convert writes regular files only");
        }
        try (PendingFile part = PendingFile.beside(target, "convert")) {
            table.createAt(CreateSpec.of(out, format).withSize(from.capacity()).withWarnings(warnings), part.path());
            try (BlockImage to = table.open(OpenSpec.of(part.path(), engine).withFormat(format).withWarnings(warnings))) {
                copy(from, to);
            } catch (IOException e) {
                throw FormatTable.naming(e, part.path(), out);
            }
            if (replacing) {
                Files.setPosixFilePermissions(part.path(), Files.getPosixFilePermissions(target));
            }
            part.commit(true);
        }
    }

    /**
     * Copies every byte of {@code from} into {@code to}, which must be at least as large and read zeros wherever
     * nothing is written (a new image), and flushes {@code to}. Runs no layer holds are skipped unread; blocks that
     * read as zeros are skipped unwritten.
     */
    public static void copy(BlockImage from, BlockImage to) throws IOException {
        long capacity = from.capacity();
        if (to.capacity() < capacity) {
            throw new IllegalArgumentException("copy of " + capacity + " bytes into an image of " + to.capacity());
        }
        int unit = Math.max(Math.max(from.sectorSize(), to.sectorSize()), ZERO_BLOCK);
        ByteBuffer buf = ByteBuffer.allocate(Math.max(CHUNK, unit));
        for (long at = 0; at < capacity; at += buf.limit()) {
            buf.clear().limit((int) Math.min(buf.capacity(), capacity - at));
            if (heldByNoLayer(from, at, buf.limit())) {
                continue;
            }
            BlockIo.read(from, at, buf);
            writeNonZeroBlocks(to, buf, at, unit);
        }
        BlockIo.flush(to);
    }

    private static boolean heldByNoLayer(BlockImage image, long offset, long length) throws IOException {
        return image.allocationMap(offset, length).stream().allMatch(Allocation::zeros);
    }

    /** Writes each run of {@code unit}-blocks that holds a non-zero byte. */
    private static void writeNonZeroBlocks(BlockImage to, ByteBuffer buf, long at, int unit) throws IOException {
        int runStart = -1;
        for (int b = 0; b < buf.limit(); b += unit) {
            boolean data = !isZero(buf, b, Math.min(b + unit, buf.limit()));
            if (data && runStart < 0) {
                runStart = b;
            } else if (!data && runStart >= 0) {
                BlockIo.write(to, at + runStart, buf.duplicate().limit(b).position(runStart));
                runStart = -1;
            }
        }
        if (runStart >= 0) {
            BlockIo.write(to, at + runStart, buf.duplicate().position(runStart));
        }
    }

    private static boolean isZero(ByteBuffer buf, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Truncating OUT would destroy the disk being read if OUT is any layer of it. */
    private static void refuseLayerAsOutput(ImageInfo chain, Path out) throws ImageException {
        for (ImageInfo layer = chain; layer != null; layer = layer.backing()) {
            if (BackingPath.sameFile(out, layer.filename())) {
                throw new ImageException(out, "is " + layer.filename() + ", a layer of the image being converted");
            }
        }
    }
}
