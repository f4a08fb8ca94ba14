package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.HostIoException;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.hostio.testing.ForwardingIoEngine;

/** {@code ubd commit}: the base ends up holding the disk; an interrupted commit leaves a top that still reads right. */
class ImageCommitTest {
    private static final FormatTable TABLE = FormatTable.standard();
    private static final int MIB = 1 << 20;
    private static final long OLD_MTIME = 1_700_000_000L;

    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();

    static byte[] disk(Path top) throws IOException {
        try (SyncEngine engine = new SyncEngine();
             BlockImage image = TABLE.open(OpenSpec.of(top, engine).withReadOnly(true))) {
            ByteBuffer all = ByteBuffer.allocate((int) image.capacity());
            BlockIo.read(image, 0, all);
            return all.array();
        }
    }

    /** A raw base with an old mtime (so any write shows) and a COW over it with scattered writes and a discard. */
    private Path stack(Path back, String name, long seed) throws IOException {
        Path cow = dir.resolve(name);
        TABLE.create(CreateSpec.of(cow, "cow").withBacking(back));
        Random random = new Random(seed);
        try (SyncEngine engine = new SyncEngine(); BlockImage image = TABLE.open(OpenSpec.of(cow, engine))) {
            for (int i = 0; i < 200; i++) {
                long sector = random.nextInt((int) (image.capacity() / 512) - 8);
                int count = 1 + random.nextInt(8);
                byte[] data = new byte[count * 512];
                random.nextBytes(data);
                BlockIo.write(image, sector * 512, ByteBuffer.wrap(data));
            }
            BlockIo.discard(image, image.capacity() / 4, 64 * 512);
        }
        return cow;
    }

    private Path base(String name, long size) throws IOException {
        Path back = Disks.patternedRaw(dir.resolve(name), size);
        Files.setLastModifiedTime(back, FileTime.from(OLD_MTIME, TimeUnit.SECONDS));
        return back;
    }

    private static byte[] file(Path p) throws IOException {
        return Files.readAllBytes(p);
    }

    private void commit(Path top, Path base, boolean keep, IoEngine engine) throws IOException {
        new ImageCommit(top, null, base, keep).run(TABLE, engine, warnings::add, ProgressListener.NONE);
    }

    @Test
    void theBaseHoldsTheDiskAndTheEmptiedTopStillReadsIt() throws IOException {
        Path back = base("back.img", 4 * MIB);
        Path cow = stack(back, "top.cow", 1);
        byte[] before = disk(cow);
        try (SyncEngine engine = new SyncEngine()) {
            commit(cow, null, false, engine);
        }
        assertArrayEquals(before, file(back), "the base is the disk");
        assertArrayEquals(before, disk(cow), "the top reads what it read before");
        try (SyncEngine engine = new SyncEngine(); BlockImage image = TABLE.open(OpenSpec.of(cow, engine).withReadOnly(true))) {
            assertEquals(List.of(new Allocation(0, 4 * MIB, 1)), image.allocationMap(0, 4 * MIB), "the top holds nothing");
        }
        assertFalse(Files.exists(CommitJournal.beside(cow)), "journal removed");
        assertEquals(List.of(), warnings);
    }

    @Test
    void keepLeavesTheTopsSectorsAndRecordsTheNewMtime() throws IOException {
        Path back = base("back.img", 2 * MIB);
        Path cow = stack(back, "top.cow", 2);
        byte[] before = disk(cow);
        try (SyncEngine engine = new SyncEngine()) {
            commit(cow, null, true, engine);
        }
        assertArrayEquals(before, file(back));
        assertArrayEquals(before, disk(cow));
        try (SyncEngine engine = new SyncEngine(); BlockImage image = TABLE.open(OpenSpec.of(cow, engine).withReadOnly(true))) {
            assertTrue(image.allocationMap(0, 2 * MIB).stream().anyMatch(a -> a.depth() == 0), "kept");
            assertEquals(HostFile.mtimeSeconds(back), ((Number) image.info().formatSpecific().get("mtime")).longValue());
        }
    }

    /**
     * -b BASE over three layers: the base gets both upper layers; the middle's header follows the base's mtime and
     * the middle keeps its own mtime, which the top records. (Broken on purpose once, by not giving it back: the top
     * refused to open, "mtime mismatch (1700000001 vs ...)".)
     */
    @Test
    void aChainCommitsIntoTheNamedBase() throws IOException {
        Path back = base("back.img", 2 * MIB);
        Path mid = stack(back, "mid.cow", 3);
        Files.setLastModifiedTime(mid, FileTime.from(OLD_MTIME + 1, TimeUnit.SECONDS)); // any rewrite shows
        Path top = stack(mid, "top.cow", 4);
        byte[] before = disk(top);
        try (SyncEngine engine = new SyncEngine()) {
            commit(top, back, false, engine);
        }
        assertArrayEquals(before, file(back));
        assertArrayEquals(before, disk(top), "the top (kept, as -b implies) reads what it read before");
        assertFalse(Files.exists(CommitJournal.beside(mid)));
        IOException notInChain = assertThrows(IOException.class, () -> commit(top, dir.resolve("top.cow"), false,
                new SyncEngine()));
        assertTrue(notInChain.getMessage().contains("is not in its backing chain"), notInChain.getMessage());
    }

    /**
     * The copy joins held runs across short gaps the base holds (rewriting them with their own bytes), never across
     * a gap a layer below the base holds, nor a long one; committing into a middle layer leaves the raw's sectors
     * unheld by it. (Broken on purpose twice: joining every short gap, the middle layer came to hold block 3; with no
     * bound on the gap, block 100 joined the span before it.)
     */
    @Test
    void shortGapsTheBaseHoldsAreCopiedAcrossAndNoOthers() throws IOException {
        int block = 4096;
        Path back = base("back.img", MIB);
        Path mid = dir.resolve("mid.cow");
        TABLE.create(CreateSpec.of(mid, "cow").withBacking(back));
        writeBlocks(mid, 1);
        Path top = dir.resolve("top.cow");
        TABLE.create(CreateSpec.of(top, "cow").withBacking(mid));
        writeBlocks(top, 0, 2, 4, 100);
        byte[] before = disk(top);
        try (SyncEngine engine = new SyncEngine();
             BlockImage image = TABLE.open(OpenSpec.of(top, engine).withReadOnly(true))) {
            assertEquals(List.of(new Allocation(0, 3 * block, 0), new Allocation(4 * block, block, 0),
                    new Allocation(100 * block, block, 0)), ImageCommit.heldAbove(image, 1, MIB), "into mid");
            assertEquals(List.of(new Allocation(0, 5 * block, 0), new Allocation(100 * block, block, 0)),
                    ImageCommit.heldAbove(image, 2, MIB), "into back");
        }
        try (SyncEngine engine = new SyncEngine()) {
            commit(top, mid, false, engine);
        }
        assertArrayEquals(before, disk(top));
        try (SyncEngine engine = new SyncEngine();
             BlockImage image = TABLE.open(OpenSpec.of(mid, engine).withReadOnly(true))) {
            assertEquals(1, image.allocation(3 * block, block).depth(), "block 3 is still the raw's");
            assertEquals(0, image.allocation(0, 3 * block).depth());
        }
    }

    /** Writes 4 KiB blocks {@code blocks} of {@code image} with bytes unlike any other. */
    private static void writeBlocks(Path image, int... blocks) throws IOException {
        try (SyncEngine engine = new SyncEngine(); BlockImage open = TABLE.open(OpenSpec.of(image, engine))) {
            for (int b : blocks) {
                byte[] data = new byte[4096];
                new Random(b * 31L + image.hashCode()).nextBytes(data);
                BlockIo.write(open, b * 4096L, ByteBuffer.wrap(data));
            }
        }
    }

    @Test
    void aRawImageHasNothingToCommitInto() throws IOException {
        Path back = base("back.img", MIB);
        ImageException e = assertThrows(ImageException.class, () -> commit(back, null, false, new SyncEngine()));
        assertEquals(back + ": has no backing file: nothing to commit into", e.getMessage());
    }

    /**
     * Killed after some writes reached the base (an engine that fails from then on): the journal stays, the top
     * still opens (its header's mtime no longer matches) and reads the disk it read before, and a second commit
     * finishes the job. (Broken on purpose once, by writing the journal after the copy: no journal was left.)
     */
    @Test
    void anInterruptedCommitStillReadsTheOldDiskAndFinishesOnTheSecondRun() throws IOException {
        Path back = base("back.img", 4 * MIB);
        Path cow = stack(back, "top.cow", 5);
        byte[] before = disk(cow);
        byte[] cowBefore = file(cow);
        AtomicInteger allowed = new AtomicInteger(3);
        IoEngine failing = new ForwardingIoEngine(new SyncEngine()) {
            @Override
            public void write(HostFile f, ByteBuffer src, long position, IoCompletion done) {
                if (f.path().getFileName().toString().equals("back.img") && allowed.decrementAndGet() < 0) {
                    done.done(0, new HostIoException(f.path(), "injected failure"));
                    return;
                }
                super.write(f, src, position, done);
            }
        };
        assertThrows(IOException.class, () -> commit(cow, null, false, failing));
        assertTrue(Files.exists(CommitJournal.beside(cow)), "the journal stays");
        assertFalse(java.util.Arrays.equals(before, file(back)), "the base is half-written");
        assertArrayEquals(cowBefore, file(cow), "the top is untouched");
        Files.setLastModifiedTime(back, FileTime.from(OLD_MTIME + 5, TimeUnit.SECONDS)); // as a later second would
        assertArrayEquals(before, disk(cow), "the top reads what it read before");
        try (SyncEngine engine = new SyncEngine()) {
            commit(cow, null, false, engine);
        }
        assertArrayEquals(before, file(back));
        assertArrayEquals(before, disk(cow));
        assertFalse(Files.exists(CommitJournal.beside(cow)));
        assertTrue(warnings.stream().anyMatch(w -> w.contains("finishing the interrupted commit")), warnings.toString());
    }

    /** Without the journal, the same state is refused with the kernel's words: the journal is what lets it open. */
    @Test
    void withoutTheJournalAChangedBaseIsRefused() throws IOException {
        Path back = base("back.img", MIB);
        Path cow = stack(back, "top.cow", 6);
        Files.setLastModifiedTime(back, FileTime.from(OLD_MTIME + 5, TimeUnit.SECONDS));
        ImageException e = assertThrows(ImageException.class, () -> disk(cow));
        assertTrue(e.getMessage().contains("mtime mismatch (1700000000 vs 1700000005)"), e.getMessage());
        CommitJournal.of(cow, back, cow).write(cow);
        disk(cow);
        Files.writeString(CommitJournal.beside(cow), "ubd-commit 1\nbase=" + dir.resolve("other.img")
                + "\nbase-size=1048576\nbase-mtime=1\ntop=" + cow + "\nchild-mtime-ns=1\n");
        assertThrows(ImageException.class, () -> disk(cow), "a journal for another base does not count");
    }

    /** A base whose size is not a whole number of sectors: its final partial sector is left alone, as uml_moo does. */
    @Test
    void theFinalPartialSectorStaysInTheTop() throws IOException {
        Path back = base("back.img", 263780);
        Path cow = dir.resolve("odd.cow");
        TABLE.create(CreateSpec.of(cow, "cow").withBacking(back));
        try (SyncEngine engine = new SyncEngine(); BlockImage image = TABLE.open(OpenSpec.of(cow, engine))) {
            BlockIo.write(image, 0, ByteBuffer.wrap(Disks.sector("cow %06d ", 0)));
            BlockIo.write(image, 515 * 512, ByteBuffer.wrap(Disks.sector("cow %06d ", 515)));
        }
        byte[] before = disk(cow);
        try (SyncEngine engine = new SyncEngine()) {
            commit(cow, null, false, engine);
        }
        assertEquals(263780, Files.size(back), "the base keeps its size");
        assertArrayEquals(before, disk(cow), "the last sector is still the top's");
        assertArrayEquals(java.util.Arrays.copyOf(before, 515 * 512), java.util.Arrays.copyOf(file(back), 515 * 512));
    }
}
