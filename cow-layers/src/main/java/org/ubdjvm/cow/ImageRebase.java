package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.ubdjvm.hostio.IoEngine;

/**
 * Gives an image a new backing file ({@code ubd rebase}, qemu-img rebase). Safe mode first copies into the image
 * every sector it does not hold whose bytes differ between the old chain and the new backing (from the old), and
 * syncs; then one checked header sector names the new backing with its mtime. Killed before the header write, the
 * image reads what it read over the old backing (the copied sectors are the bytes it read); after, over the new one
 * it reads the same. Unsafe mode ({@code -u}) only rewrites the header.
 *
 * @param file          the image to rebase
 * @param format        its format, or null to probe
 * @param newBacking    the new backing file
 * @param backingFormat the new backing's format, or null to probe
 * @param unsafe        do not compare or copy (qemu-img's {@code -u}): the user vouches that the new backing holds
 *                      what the old one did
 */
public record ImageRebase(Path file, String format, Path newBacking, String backingFormat, boolean unsafe)
        implements ImageJob {

    @Override
    public void run(FormatTable table, IoEngine engine, Consumer<String> warnings, ProgressListener progress)
            throws IOException {
        if (BackingPath.sameFile(file, newBacking)) {
            throw new ImageException(file, "cannot be its own backing file");
        }
        OpenSpec backingSpec = OpenSpec.of(newBacking, engine).withFormat(backingFormat).withReadOnly(true)
                .withWarnings(warnings);
        refuseLoop(table, backingSpec); // before this image is opened to write, which would refuse the loop less clearly
        try (BlockImage image = table.open(OpenSpec.of(file, engine).withFormat(format).withWarnings(warnings))) {
            LayerFile layer = image.layerFile();
            if (layer == null) {
                throw new ImageException(file, "has no backing file to change (format " + image.info().format() + ")");
            }
            try (BlockImage backing = table.open(backingSpec)) {
                if (backing.size() != image.size()) {
                    throw new ImageException(file, "new backing file " + ImageException.quote(newBacking) + " has a "
                            + backing.size() + "-byte disk, this image's has " + image.size()
                            + " (a UML COW layer has its backing's size)");
                }
                if (!unsafe) {
                    copyDifferences(image, backing, progress);
                    BlockIo.flush(image);
                }
            }
            layer.recordBacking(newBacking);
        }
    }

    private void refuseLoop(FormatTable table, OpenSpec backingSpec) throws IOException {
        try (BlockImage backing = table.open(backingSpec)) {
            for (ImageInfo below = backing.info(); below != null; below = below.backing()) {
                if (BackingPath.sameFile(below.filename(), file)) {
                    throw new ImageException(file, "new backing file " + ImageException.quote(newBacking)
                            + " reads through this image: a loop");
                }
            }
        }
    }

    /** Writes into {@code image} each sector it does not hold whose bytes differ from {@code backing}'s. */
    private static void copyDifferences(BlockImage image, BlockImage backing, ProgressListener progress) throws IOException {
        int ss = image.sectorSize();
        List<Allocation> below = RunCopy.pieces(image.allocationMap(0, image.capacity()).stream()
                .filter(a -> a.depth() != 0).toList());
        long total = below.stream().mapToLong(Allocation::length).sum();
        ByteBuffer ours = ByteBuffer.allocate(RunCopy.PIECE);
        ByteBuffer theirs = ByteBuffer.allocate(RunCopy.PIECE);
        long done = 0;
        for (Allocation piece : below) {
            int n = (int) piece.length();
            BlockIo.read(image, piece.offset(), ours.clear().limit(n));
            BlockIo.read(backing, piece.offset(), theirs.clear().limit(n));
            int runStart = -1;
            for (int at = 0; at <= n; at += ss) {
                boolean differs = at < n && !ByteBuffer.wrap(ours.array(), at, ss).equals(ByteBuffer.wrap(theirs.array(), at, ss));
                if (differs && runStart < 0) {
                    runStart = at;
                } else if (!differs && runStart >= 0) {
                    BlockIo.write(image, piece.offset() + runStart, ByteBuffer.wrap(ours.array(), runStart, at - runStart));
                    runStart = -1;
                }
            }
            done += n;
            progress.update(done, total);
        }
    }
}
