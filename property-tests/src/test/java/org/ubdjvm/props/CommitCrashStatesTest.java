package org.ubdjvm.props;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CommitJournal;
import org.ubdjvm.cow.ProgressListener;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageCommit;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.hostio.testing.ForwardingIoEngine;

/**
 * Every state a power cut could leave a {@code ubd commit} of a small stack in (the CrashMonkey idea, as
 * {@link CrashStatesTest} does for writes): the commit's host writes, hole punches and fdatasyncs of both files are
 * logged, with whether its journal existed at each; a state is each prefix of the log plus random subsets of the
 * 512-byte pieces of each file written since that file's last completed fdatasync. The base's mtime in a state is
 * the old one until the base was written, then either the old one or the new one while the journal exists (the
 * fsync that makes it durable comes last), then the new one. In every state the top opens and reads the disk it
 * read before the commit, and a second commit finishes with the base holding that disk. (Broken on purpose once, by
 * clearing the top's bitmap before the base's fdatasync: states with cleared bits and unsynced base data read the
 * base's old sectors.)
 */
class CommitCrashStatesTest {
    /**
     * 2 MiB: the copy joins held runs less than 64 KiB apart into one write, so the 40 scattered writes must lie
     * farther apart than that for the log to hold many base writes (on 128 KiB they all became one).
     */
    private static final int SECTORS = 4096;
    private static final long OLD_MTIME = 1_700_000_000L;
    private static final int SUBSETS_PER_POINT = 3;

    @TempDir
    Path tempDir;

    private Path dir;

    /** One host write (bytes; zeros for a punched hole) or fdatasync (null bytes) of one file, and the journal then. */
    private record Entry(Path file, long position, byte[] bytes, boolean journal) {
        boolean isSync() {
            return bytes == null;
        }
    }

    /** The sync engine, logging what reaches the two files of the stack. */
    private static final class Log extends ForwardingIoEngine {
        final List<Entry> entries = new ArrayList<>();
        final Path journal;
        String journalText;

        Log(Path journal) {
            super(new SyncEngine());
            this.journal = journal;
        }

        private boolean journalNow() {
            if (!Files.exists(journal)) {
                return false;
            }
            try {
                journalText = journalText != null ? journalText : Files.readString(journal);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return true;
        }

        @Override
        public void write(HostFile file, ByteBuffer src, long position, IoCompletion done) {
            byte[] copy = new byte[src.remaining()];
            src.duplicate().get(copy);
            entries.add(new Entry(file.path().toAbsolutePath(), position, copy, journalNow()));
            super.write(file, src, position, done);
        }

        @Override
        public void punchHole(HostFile file, long position, long length, IoCompletion done) {
            entries.add(new Entry(file.path().toAbsolutePath(), position, new byte[Math.toIntExact(length)], journalNow()));
            super.punchHole(file, position, length, done);
        }

        @Override
        public void datasync(HostFile file, IoCompletion done) {
            super.datasync(file, (n, e) -> {
                if (e == null) {
                    entries.add(new Entry(file.path().toAbsolutePath(), 0, null, journalNow()));
                }
                done.done(n, e);
            });
        }
    }

    @ParameterizedTest(name = "V{0}")
    @ValueSource(ints = {1, 2, 3})
    void everyCrashStateReadsTheOldDiskAndASecondCommitFinishes(int version) throws IOException {
        // hundreds of commits, each with fsyncs of files and folders: on tmpfs when there is one, they cost nothing
        Path shm = Path.of("/dev/shm");
        dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "commit-crash") : tempDir;
        try {
            everyState(version);
        } finally {
            if (!dir.equals(tempDir)) {
                try (var files = Files.list(dir)) {
                    for (Path p : files.toList()) {
                        Files.delete(p);
                    }
                }
                Files.delete(dir);
            }
        }
    }

    private void everyState(int version) throws IOException {
        FormatTable table = FormatTable.standard();
        Path back = Disks.patternedRaw(dir.resolve("back.img"), SECTORS * 512L).toAbsolutePath();
        Files.setLastModifiedTime(back, FileTime.from(OLD_MTIME, TimeUnit.SECONDS));
        Path top = dir.resolve("top.cow").toAbsolutePath();
        table.create(CreateSpec.of(top, "cow").withBacking(back).withOption("version", "" + version));
        Random random = new Random(2026L + version);
        try (SyncEngine engine = new SyncEngine(); BlockImage image = table.open(OpenSpec.of(top, engine))) {
            for (int i = 0; i < 40; i++) {
                int first = random.nextInt(SECTORS - 8);
                byte[] data = new byte[(1 + random.nextInt(8)) * 512];
                random.nextBytes(data);
                BlockIo.write(image, first * 512L, ByteBuffer.wrap(data));
            }
            BlockIo.discard(image, 100 * 512L, 4 * 512L);
        }
        byte[] disk = disk(table, top);
        byte[] baseBefore = Files.readAllBytes(back);
        byte[] topBefore = Files.readAllBytes(top);
        Log log = new Log(CommitJournal.beside(top));
        new ImageCommit(top, null, null, false).run(table, log, w -> { }, ProgressListener.NONE);
        assertArrayEquals(disk, Files.readAllBytes(back), "the commit itself");
        assertFalse(Files.exists(CommitJournal.beside(top)));
        long newMtime = HostFile.mtimeSeconds(back);
        assertTrue(newMtime != OLD_MTIME && log.journalText != null);

        int states = 0;
        byte[][] durable = {baseBefore, topBefore};
        List<List<Entry>> pending = List.of(new ArrayList<>(), new ArrayList<>());
        List<Entry> entries = log.entries;
        boolean baseWritten = false;
        for (int k = 0; k <= entries.size(); k++) {
            boolean journal = k < entries.size() ? entries.get(k).journal() : true; // removed only after the last
            for (int t = 0; t <= SUBSETS_PER_POINT; t++) {
                Random subset = t == 0 ? null : random;
                if (t > 0 && pending.get(0).isEmpty() && pending.get(1).isEmpty()) {
                    break;
                }
                byte[] base = apply(durable[0], pending.get(0), subset);
                byte[] cow = apply(durable[1], pending.get(1), subset);
                boolean touched = baseWritten || !Arrays.equals(base, baseBefore);
                for (long mtime : !touched ? new long[] {OLD_MTIME} : journal ? new long[] {OLD_MTIME, newMtime}
                        : new long[] {newMtime}) {
                    states += check(table, "V" + version + " log entry " + k + (subset == null ? "" : " subset " + t)
                            + ", journal " + journal + ", base mtime " + mtime, base, cow, mtime, journal ? log.journalText
                            : null, back, top, disk);
                }
            }
            if (k == entries.size()) {
                break;
            }
            Entry e = entries.get(k);
            int f = e.file().equals(back) ? 0 : 1;
            if (e.isSync()) {
                durable[f] = apply(durable[f], pending.get(f), null);
                pending.get(f).clear();
                baseWritten |= f == 0 && !Arrays.equals(durable[0], baseBefore);
            } else {
                pending.get(f).add(e);
            }
        }
        // and after the journal is gone: every write applied, the new mtime durable
        states += check(table, "V" + version + " finished", apply(durable[0], pending.get(0), null),
                apply(durable[1], pending.get(1), null), newMtime, null, back, top, disk);
        System.out.println("commit crash states V" + version + ": " + states + " from a log of " + entries.size());
        assertTrue(states >= 50, "checked " + states);
    }

    private static byte[] apply(byte[] base, List<Entry> pending, Random subset) {
        int length = base.length;
        for (Entry e : pending) {
            length = (int) Math.max(length, e.position() + e.bytes().length);
        }
        byte[] out = Arrays.copyOf(base, length);
        for (Entry e : pending) {
            for (int off = 0; off < e.bytes().length; off += 512) {
                if (subset == null || subset.nextBoolean()) {
                    System.arraycopy(e.bytes(), off, out, (int) e.position() + off, Math.min(512, e.bytes().length - off));
                }
            }
        }
        return out;
    }

    private static int check(FormatTable table, String where, byte[] base, byte[] cow, long mtime, String journal,
                             Path back, Path top, byte[] disk) throws IOException {
        Files.write(back, base);
        Files.setLastModifiedTime(back, FileTime.from(mtime, TimeUnit.SECONDS));
        Files.write(top, cow);
        Path j = CommitJournal.beside(top);
        if (journal != null) {
            Files.writeString(j, journal);
        } else {
            Files.deleteIfExists(j);
        }
        try {
            if (!Arrays.equals(disk, disk(table, top))) {
                fail(where + ": the top does not read the disk it read before the commit");
            }
            new ImageCommit(top, null, null, false).run(table, new SyncEngine(), w -> { }, ProgressListener.NONE);
        } catch (IOException e) {
            fail(where + ": " + e.getMessage());
        }
        if (!Arrays.equals(disk, Files.readAllBytes(back)) || !Arrays.equals(disk, disk(table, top)) || Files.exists(j)) {
            fail(where + ": a second commit did not finish with the base holding the disk");
        }
        return 1;
    }

    private static byte[] disk(FormatTable table, Path top) throws IOException {
        try (SyncEngine engine = new SyncEngine();
             BlockImage image = table.open(OpenSpec.of(top, engine).withReadOnly(true))) {
            ByteBuffer all = ByteBuffer.allocate((int) image.capacity());
            BlockIo.read(image, 0, all);
            return all.array();
        }
    }
}
