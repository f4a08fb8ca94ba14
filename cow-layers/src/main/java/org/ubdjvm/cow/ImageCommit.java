package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.ubdjvm.hostio.IoEngine;

/**
 * Merges the layers of a chain above a base into that base, in place ({@code ubd commit}, qemu-img commit,
 * {@code uml_moo -d}, the seed's {@code U}). Crash-safe and resumable, by this order:
 * <ol>
 *   <li>a journal beside the layer just above the base ({@link CommitJournal}) is made durable; while it exists that
 *   layer opens although the base's mtime no longer matches its header;</li>
 *   <li>the runs the layers above the base hold are copied into the base, which is then synced. Until now no layer
 *   above it has changed, so every layer still reads what it read before: their held sectors win, and the base
 *   changed only under those (short gaps between them that the base holds are rewritten too, with the bytes they
 *   hold: see {@link #heldAbove});</li>
 *   <li>the header of the layer just above the base records the base's new mtime (one checked sector);</li>
 *   <li>unless kept, the top forgets what it held (its bitmap cleared): the base holds the same bytes;</li>
 *   <li>the base is fsynced (its mtime, which fdatasync may leave behind, must be durable before the journal goes),
 *   then the journal is removed.</li>
 * </ol>
 * Killed anywhere, the top reads the disk it read before, and running the commit again redoes it from step 2
 * (copying again is harmless: the same bytes land in the same places).
 *
 * @param top    the image whose changes are committed
 * @param format its format, or null to probe
 * @param base   the layer to commit into, one of the top's backing chain; null for its immediate backing file
 * @param keep   keep the top's contents (qemu-img's {@code -d}); implied when the base is not the top's immediate
 *               backing, since emptying the top would then expose the layers between, which the commit left behind
 */
public record ImageCommit(Path top, String format, Path base, boolean keep) implements ImageJob {
    /** Largest gap between held runs that {@link #heldAbove} copies across (see there why). */
    static final long JOINED_GAP = 64 << 10;

    /** Runs the commit; {@code engine} carries the copy; notices go to {@code warnings}. */
    @Override
    public void run(FormatTable table, IoEngine engine, Consumer<String> notices, ProgressListener progress)
            throws IOException {
        java.util.Set<String> said = new java.util.HashSet<>();
        Consumer<String> warnings = w -> { // the chain is opened more than once; each notice is said once
            if (said.add(w)) {
                notices.accept(w);
            }
        };
        List<ImageInfo> chain = chain(table, engine, warnings);
        int baseDepth = baseDepth(chain);
        Path basePath = chain.get(baseDepth).filename();
        Path child = chain.get(baseDepth - 1).filename();
        boolean empty = !keep && baseDepth == 1;
        CommitJournal journal = CommitJournal.read(child);
        if (journal != null && BackingPath.sameFile(journal.base(), basePath)) {
            warnings.accept(top + ": finishing the interrupted commit into " + ImageException.quote(basePath));
        }
        List<BlockImage> opened = new ArrayList<>();
        try {
            BlockImage base = open(table, OpenSpec.of(basePath, engine).withFormat(chain.get(baseDepth).format())
                    .withWarnings(warnings), opened);
            BlockImage childImage = baseDepth == 1 ? null : open(table.withOpenLayer(basePath, new SharedLayer(base)),
                    OpenSpec.of(child, engine).withFormat(chain.get(baseDepth - 1).format()).withWarnings(warnings),
                    opened);
            FormatTable overBelow = childImage == null ? table.withOpenLayer(basePath, new SharedLayer(base))
                    : table.withOpenLayer(child, new SharedLayer(childImage));
            BlockImage topImage = open(overBelow, OpenSpec.of(top, engine).withFormat(format).withWarnings(warnings)
                    .withReadOnly(baseDepth > 1), opened);
            LayerFile childFile = (childImage == null ? topImage : childImage).layerFile();
            long end = base.size() / topImage.sectorSize() * topImage.sectorSize(); // uml_moo: no final partial sector
            List<Allocation> runs = heldAbove(topImage, baseDepth, end);
            // a protocol location (an NBD export) has no mtime a header records: nothing for a journal to excuse,
            // and a killed commit is simply run again
            journal = BackingPath.remote(basePath, table) ? null : CommitSteps.begin(top, basePath, child);
            // copied: a background commit got that far; copying again would move the base's mtime
            if (journal == null || !journal.copied()) {
                RunCopy.copy(topImage, base, runs, progress);
                BlockIo.flush(base);
            }
            childFile.recordBacking(basePath);
            if (empty) {
                topImage.layerFile().empty(end);
            }
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(opened, e);
            throw e;
        }
        closeAll(opened);
        if (journal != null) {
            // the layer above the child (when there is one) records the child's mtime; its disk is unchanged
            CommitSteps.restoreMtime(child, journal.childMtimeNanos());
            CommitSteps.end(basePath, child);
        }
    }

    /** The top's chain, top first, as it opens now (a journal of an interrupted commit lets it open). */
    private List<ImageInfo> chain(FormatTable table, IoEngine engine, Consumer<String> warnings) throws IOException {
        List<ImageInfo> chain = new ArrayList<>();
        try (BlockImage image = table.open(OpenSpec.of(top, engine).withFormat(format).withReadOnly(true)
                .withWarnings(warnings))) {
            for (ImageInfo layer = image.info(); layer != null; layer = layer.backing()) {
                chain.add(layer);
            }
        }
        return chain;
    }

    private int baseDepth(List<ImageInfo> chain) throws ImageException {
        if (chain.size() < 2) {
            throw new ImageException(top, "has no backing file: nothing to commit into");
        }
        if (base == null) {
            return 1;
        }
        for (int d = 1; d < chain.size(); d++) {
            if (BackingPath.sameFile(base, chain.get(d).filename())) {
                return d;
            }
        }
        throw new ImageException(top, ImageException.quote(base) + " is not in its backing chain ("
                + String.join(" -> ", chain.stream().map(l -> l.filename().toString()).toList()) + ")");
    }

    /**
     * What the commit copies: the runs of {@code [0, end)} some layer above depth {@code baseDepth} holds, joined
     * into one span across each gap of at most {@link #JOINED_GAP} bytes that the base itself holds. Copying a span
     * rewrites such gaps with the bytes they already hold (read through the top, they are the base's), which costs
     * little next to the alternative: a layer written in scattered 4 KiB blocks would otherwise be copied as
     * hundreds of thousands of small scattered writes, several times slower to issue and to reach the disk than
     * large sequential ones. A gap no layer holds, or one a layer below the base holds, is never written: the base
     * would then hold what it did not.
     */
    static List<Allocation> heldAbove(BlockImage image, int baseDepth, long end) throws IOException {
        if (end == 0) {
            return List.of();
        }
        List<Allocation> spans = new ArrayList<>();
        Allocation span = null;
        boolean gapRewritable = true; // every run since the span's end is the base's own
        for (Allocation a : image.allocationMap(0, end)) {
            if (a.zeros() || a.depth() >= baseDepth) {
                gapRewritable &= a.depth() == baseDepth;
            } else if (span != null && gapRewritable && a.offset() - span.end() <= JOINED_GAP) {
                span = new Allocation(span.offset(), a.end() - span.offset(), Math.min(span.depth(), a.depth()));
            } else {
                if (span != null) {
                    spans.add(span);
                }
                span = a;
                gapRewritable = true;
            }
        }
        if (span != null) {
            spans.add(span);
        }
        return spans;
    }

    private static BlockImage open(FormatTable table, OpenSpec spec, List<BlockImage> opened) throws IOException {
        BlockImage image = table.open(spec);
        opened.add(image);
        return image;
    }

    private static void closeAfterFailure(List<BlockImage> opened, Exception primary) {
        try {
            closeAll(opened);
        } catch (IOException suppressed) {
            primary.addSuppressed(suppressed);
        }
    }

    /** Top first: a layer lent to the one above outlives it. */
    private static void closeAll(List<BlockImage> opened) throws IOException {
        IOException failure = null;
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
