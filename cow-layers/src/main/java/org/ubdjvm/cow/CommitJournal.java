package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.PendingFile;

/**
 * The record of a commit in progress, {@code .NAME.ubd-commit} beside the layer whose backing file the commit writes
 * into (NAME is that layer's file name). Made durable before the first byte reaches the backing and removed after the
 * last step is durable; while it exists the layer's header may name a backing mtime the backing no longer has, and
 * opening the layer accepts that (its reads stay right: the layer is unchanged until its data is in the backing).
 * {@code ubd commit} finds it and finishes the job. Text, one {@code key=value} a line, so a user can read it.
 *
 * @param base      the backing file written into
 * @param baseSize  its size, which a commit never changes
 * @param baseMtime its mtime (seconds) before the commit, as the layer's header recorded it
 * @param top       the image the commit was asked for
 * @param childMtimeNanos the mtime of the layer the journal sits beside, before the commit: a commit into a deeper
 *                  base rewrites that layer's header and then gives it back this mtime, which the layer above
 *                  records (a commit into its immediate backing leaves the top's new mtime)
 * @param copied    every run is in the base and the base is durable ({@code copied=yes}): a resumed commit copies
 *                  nothing more and only rewrites the header, so the base's mtime stays as it is
 */
public record CommitJournal(Path base, long baseSize, long baseMtime, Path top, long childMtimeNanos, boolean copied) {
    private static final String MAGIC = "ubd-commit 1";

    /** Where the journal of a commit into {@code layer}'s backing lives. */
    public static Path beside(Path layer) {
        Path abs = layer.toAbsolutePath();
        return abs.resolveSibling("." + abs.getFileName() + ".ubd-commit");
    }

    /** The journal beside {@code layer}, or null when there is none. A file there that is not one is an error. */
    public static CommitJournal read(Path layer) throws IOException {
        Path at = beside(layer);
        List<String> lines;
        try {
            lines = Files.readAllLines(at, StandardCharsets.UTF_8);
        } catch (NoSuchFileException none) {
            return null;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        try {
            if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
                throw new IllegalArgumentException("first line is not \"" + MAGIC + "\"");
            }
            return new CommitJournal(Path.of(field(fields, "base")), Long.parseLong(field(fields, "base-size")),
                    Long.parseLong(field(fields, "base-mtime")), Path.of(field(fields, "top")),
                    Long.parseLong(field(fields, "child-mtime-ns")), "yes".equals(fields.get("copied")));
        } catch (IllegalArgumentException e) {
            throw new ImageException(at, "not a ubd commit journal: " + e.getMessage());
        }
    }

    private static String field(Map<String, String> fields, String key) {
        String v = fields.get(key);
        if (v == null) {
            throw new IllegalArgumentException("no " + key + "= line");
        }
        return v;
    }

    /**
     * Whether a commit into {@code backing} is in progress for {@code layer}: then the backing's mtime may differ from
     * the header's. Only the file is compared: the journal's base size is its file's size, which for a COW base is not
     * the disk size a header records (the disk size is still checked by the caller).
     */
    static boolean inProgress(Path layer, Path backing) {
        try {
            CommitJournal j = read(layer);
            return j != null && BackingPath.sameFile(j.base(), backing);
        } catch (IOException unreadable) {
            return false;
        }
    }

    /**
     * Whether a commit through {@code backing} into a layer below it is in progress (a journal beside
     * {@code backing}): it rewrites {@code backing}'s header, so the mtime a layer above records of it may differ
     * until the commit gives the old one back.
     */
    static boolean rewritingHeaderOf(Path backing) {
        return Files.exists(beside(backing));
    }

    /** Writes this journal beside {@code layer}, durably (file and directory), never replacing one. */
    void write(Path layer) throws IOException {
        write(layer, false);
    }

    /**
     * This journal, saying that every run is in the base and the base is durable, in place of the one beside
     * {@code layer} (atomically: a rename). A resumed commit then copies nothing: after a background commit's switch
     * the active top records the base's mtime, which a second copy would move.
     */
    CommitJournal markCopied(Path layer) throws IOException {
        CommitJournal done = new CommitJournal(base, baseSize, baseMtime, top, childMtimeNanos, true);
        done.write(layer, true);
        return done;
    }

    private void write(Path layer, boolean replace) throws IOException {
        String text = MAGIC + "\n" + "base=" + base + "\n" + "base-size=" + baseSize + "\n" + "base-mtime=" + baseMtime
                + "\n" + "top=" + top + "\n" + "child-mtime-ns=" + childMtimeNanos + "\n" + (copied ? "copied=yes\n" : "");
        try (PendingFile part = PendingFile.beside(beside(layer), "journal")) {
            Files.writeString(part.path(), text, StandardCharsets.UTF_8);
            part.commit(replace);
        }
    }

    /** Removes the journal beside {@code layer}, durably. */
    static void remove(Path layer) throws IOException {
        Path at = beside(layer);
        Files.deleteIfExists(at);
        PendingFile.syncDirectory(at.getParent());
    }

    /** The journal for a commit of {@code top} into {@code base} as it is now. */
    static CommitJournal of(Path top, Path base, Path child) throws IOException {
        return new CommitJournal(base.toRealPath(), Files.size(base), HostFile.mtimeSeconds(base), top.toAbsolutePath(),
                Files.getLastModifiedTime(child).to(java.util.concurrent.TimeUnit.NANOSECONDS), false);
    }
}
