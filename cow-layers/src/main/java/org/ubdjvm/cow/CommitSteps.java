package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.ubdjvm.hostio.HostFile;

/**
 * The steps of a commit ({@link ImageCommit}'s order, see there) for a caller that holds the chain open itself: the
 * driver's background commit, which merges layers below a device's active top while the guest runs. Each step is
 * durable when it returns. The journal is the one {@code ubd commit} reads, so a commit killed at any step is finished
 * offline by {@code ubd commit -b BASE TOP}.
 */
public final class CommitSteps {
    private CommitSteps() {
    }

    /**
     * The runs of the disk {@code chain} (the top layer to merge, opened over the base) holds in a layer above depth
     * {@code baseDepth} (the base's depth in that chain), up to the base's last whole sector: what a commit copies.
     */
    public static List<Allocation> heldAbove(BlockImage chain, int baseDepth, long baseSize) throws IOException {
        long end = baseSize / chain.sectorSize() * chain.sectorSize(); // uml_moo: no final partial sector
        return ImageCommit.heldAbove(chain, baseDepth, end);
    }

    /**
     * Step 1: the journal of a commit of {@code top} into {@code base} beside {@code child} (the layer just above the
     * base), durable, before anything is written; an existing journal for the same base is kept (a resumed commit).
     *
     * @throws ImageException a journal of a commit into another base is there
     */
    public static CommitJournal begin(Path top, Path base, Path child) throws IOException {
        CommitJournal journal = CommitJournal.read(child);
        if (journal != null && !BackingPath.sameFile(journal.base(), base)) {
            throw new ImageException(child, "a commit into " + ImageException.quote(journal.base())
                    + " is in progress (" + CommitJournal.beside(child) + "); finish it first: ubd commit -b "
                    + journal.base() + " " + journal.top());
        }
        if (journal == null) {
            journal = CommitJournal.of(top, base, child);
            journal.write(child);
        }
        return journal;
    }

    /**
     * Step 2: copies {@code runs} of {@code from}'s disk into {@code base}, asking {@code pacer} before each piece;
     * pieces sized for {@code speedBytesPerSecond} ({@link #pieceFor}).
     */
    public static void copy(BlockImage from, BlockImage base, List<Allocation> runs, ProgressListener progress,
                            CopyPacer pacer, long speedBytesPerSecond) throws IOException {
        RunCopy.copy(from, base, runs, progress, pacer, pieceFor(speedBytesPerSecond));
    }

    /**
     * The copy's piece for a speed (0: unthrottled, 1 MiB): about an eighth of a second's worth, a power of two from
     * 4 KiB, so a throttled job moves smoothly and a cancel finds it part-way (one 1 MiB piece at 64 KiB/s was a
     * whole small merge issued at once, then 16 s of waiting).
     */
    static int pieceFor(long speedBytesPerSecond) {
        if (speedBytesPerSecond <= 0) {
            return RunCopy.PIECE;
        }
        long eighth = Math.max(4096, Long.highestOneBit(speedBytesPerSecond / 8));
        return (int) Math.min(RunCopy.PIECE, eighth);
    }

    /**
     * After the copy: {@code base} flushed, then fsynced by name, so its mtime, which the layer given it as backing
     * records next, is durable (fdatasync may leave the mtime behind).
     */
    public static void durable(BlockImage base, Path file) throws IOException {
        BlockIo.flush(base);
        HostFile.syncByName(file);
    }

    /** After {@link #durable}: the journal beside {@code child} says every run is in the base (see there why). */
    public static CommitJournal markCopied(CommitJournal journal, Path child) throws IOException {
        return journal.markCopied(child);
    }

    /** Gives {@code layer} back the mtime it had, which the layer above records of it, and makes that durable. */
    public static void restoreMtime(Path layer, long mtimeNanos) throws IOException {
        Files.setLastModifiedTime(layer, FileTime.from(mtimeNanos, TimeUnit.NANOSECONDS));
        HostFile.syncByName(layer);
    }

    /**
     * The last step: the base fsynced (its mtime, which fdatasync may leave behind, must be durable before the
     * journal goes), then the journal beside {@code child} removed, durably.
     */
    public static void end(Path base, Path child) throws IOException {
        HostFile.syncByName(base);
        CommitJournal.remove(child);
    }
}
