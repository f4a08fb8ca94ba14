package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        convert(from, CreateSpec.of(out, format).withWarnings(warnings), table, engine, ProgressListener.NONE);
    }

    /**
     * {@link #convert(BlockImage, Path, String, FormatTable, IoEngine, Consumer)} as {@code target} says: its file,
     * format, options and warnings (its size is {@code from}'s). With a backing (qemu-img convert's {@code -B}) the
     * new image is a layer over it that holds only the blocks where {@code from} reads otherwise than the backing.
     */
    public static void convert(BlockImage from, CreateSpec target, FormatTable table, IoEngine engine,
                               ProgressListener progress) throws IOException {
        Path out = target.file();
        table.byName(target.format()); // an unknown name fails before anything is made
        refuseLayerAsOutput(from.info(), out);
        Path realOut = Files.exists(out) ? out.toRealPath() : out.toAbsolutePath();
        boolean replacing = Files.exists(realOut);
        if (replacing && !Files.isRegularFile(realOut)) {
            throw new ImageException(out, "not a regular file; convert writes regular files only");
        }
        try (PendingFile part = PendingFile.beside(realOut, "convert")) {
            table.createAt(target.withSize(from.capacity()), part.path());
            OpenSpec made = OpenSpec.of(part.path(), engine).withFormat(target.format()).withWarnings(target.warnings());
            try (BlockImage to = table.open(made)) {
                if (to.capacity() < from.capacity()) {
                    throw new ImageException(out, "holds " + to.capacity() + " bytes (the size of backing "
                            + target.backing() + "), less than the " + from.capacity() + " of the disk converted");
                }
                if (target.backing() == null) {
                    copy(from, to, progress);
                } else {
                    copyDifferences(from, to, progress);
                }
            } catch (IOException e) {
                throw FormatTable.naming(e, part.path(), out);
            }
            if (replacing) {
                Files.setPosixFilePermissions(part.path(), Files.getPosixFilePermissions(realOut));
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
        copy(from, to, ProgressListener.NONE);
    }

    /** {@link #copy(BlockImage, BlockImage)}, telling {@code progress} the bytes done. */
    public static void copy(BlockImage from, BlockImage to, ProgressListener progress) throws IOException {
        long capacity = from.capacity();
        if (to.capacity() < capacity) {
            throw new IllegalArgumentException("copy of " + capacity + " bytes into an image of " + to.capacity());
        }
        int unit = Math.max(Math.max(from.sectorSize(), to.sectorSize()), ZERO_BLOCK);
        // direct: the JDK copies a heap buffer through a direct one of its own on every read and write
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(CHUNK, unit) + ZERO_BLOCK).alignedSlice(ZERO_BLOCK);
        buf.limit(Math.max(CHUNK, unit));
        int chunk = buf.limit();
        for (long at = 0; at < capacity; at += buf.limit()) {
            buf.clear().limit((int) Math.min(chunk, capacity - at));
            if (!heldByNoLayer(from, at, buf.limit())) {
                BlockIo.read(from, at, buf);
                writeNonZeroBlocks(to, buf, at, unit);
            }
            progress.update(at + buf.limit(), capacity);
        }
        BlockIo.flush(to);
    }

    /**
     * Writes into {@code to} (a new layer over a backing) each block where {@code from} reads otherwise than
     * {@code to} reads now, i.e. than the backing. A run that {@code from} takes from the same file as {@code to}
     * does (the backing is one of {@code from}'s layers) is the same bytes and is skipped unread.
     */
    static void copyDifferences(BlockImage from, BlockImage to, ProgressListener progress) throws IOException {
        long capacity = from.capacity();
        List<Path> fromLayers = from.info().files();
        List<Path> toLayers = to.info().files();
        int unit = Math.max(from.sectorSize(), to.sectorSize()); // a layer holds sectors: keep it as small as they
        ByteBuffer want = ByteBuffer.allocate(CHUNK);
        ByteBuffer have = ByteBuffer.allocate(want.capacity());
        for (long at = 0; at < capacity; at += want.limit()) {
            want.clear().limit((int) Math.min(want.capacity(), capacity - at));
            Allocation source = from.allocation(at, want.limit());
            Allocation below = to.allocation(at, source.length());
            want.limit((int) below.length());
            if (!sameChain(fromLayers, source.depth(), toLayers, below.depth())) {
                readOrZeros(from, at, want, source);
                readOrZeros(to, at, have.clear().limit(want.limit()), below);
                writeDifferingBlocks(to, want, have, at, unit);
            }
            progress.update(at + want.limit(), capacity);
        }
        BlockIo.flush(to);
    }

    private static void readOrZeros(BlockImage image, long at, ByteBuffer buf, Allocation run) throws IOException {
        if (run.zeros()) {
            Zeros.fill(buf, 0, buf.limit());
        } else {
            BlockIo.read(image, at, buf);
        }
    }

    /** Whether both runs come from one file and what lies below it: then they read the same bytes. */
    private static boolean sameChain(List<Path> a, int depthA, List<Path> b, int depthB) {
        if (depthA == Allocation.ZEROS || depthB == Allocation.ZEROS) {
            return depthA == depthB;
        }
        if (a.size() - depthA != b.size() - depthB) {
            return false;
        }
        for (int i = 0; depthA + i < a.size(); i++) {
            if (!BackingPath.sameFile(a.get(depthA + i), b.get(depthB + i))) {
                return false;
            }
        }
        return true;
    }

    /** Writes each run of {@code unit}-blocks where {@code want} and {@code have} differ. */
    private static void writeDifferingBlocks(BlockImage to, ByteBuffer want, ByteBuffer have, long at, int unit)
            throws IOException {
        writeBlocks(to, want, at, unit, (b, end) -> want.slice(b, end - b).mismatch(have.slice(b, end - b)) >= 0);
    }

    /** Which blocks of a buffer to write: those from {@code from} to {@code to} or not. */
    private interface BlockFilter {
        boolean write(int from, int to);
    }

    /** Writes each run of consecutive {@code unit}-blocks of {@code buf} that {@code filter} picks, one write a run. */
    private static void writeBlocks(BlockImage to, ByteBuffer buf, long at, int unit, BlockFilter filter)
            throws IOException {
        int runStart = -1;
        for (int b = 0; b < buf.limit(); b += unit) {
            boolean picked = filter.write(b, Math.min(b + unit, buf.limit()));
            if (picked && runStart < 0) {
                runStart = b;
            } else if (!picked && runStart >= 0) {
                BlockIo.write(to, at + runStart, buf.duplicate().limit(b).position(runStart));
                runStart = -1;
            }
        }
        if (runStart >= 0) {
            BlockIo.write(to, at + runStart, buf.duplicate().position(runStart));
        }
    }

    private static boolean heldByNoLayer(BlockImage image, long offset, long length) throws IOException {
        return image.allocationMap(offset, length).stream().allMatch(Allocation::zeros);
    }

    /** Writes each run of {@code unit}-blocks that holds a non-zero byte. */
    private static void writeNonZeroBlocks(BlockImage to, ByteBuffer buf, long at, int unit) throws IOException {
        writeBlocks(to, buf, at, unit, (b, end) -> !Zeros.isZero(buf, b, end));
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
