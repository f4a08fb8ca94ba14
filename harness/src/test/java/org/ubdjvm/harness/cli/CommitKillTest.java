package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CommitJournal;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.hostio.SyncEngine;

/**
 * {@code kill -9} a {@code ubd commit} of a 256 MiB stack (half of it written in the top, in 4 KiB runs) at random
 * moments, mostly after its journal appeared: each time the top reads the disk it read before the commit, and
 * {@code ubd commit} run again finishes it to the right bytes in the base: at once in this JVM, or first in the next
 * process (killed again, or finishing), which starts by resuming. Kills: {@code -Dubd.commit.kills} (50);
 * seed: {@code -Dubd.test.seed}. (Broken on purpose once, by removing the journal check from open: the first kill
 * after the copy began left a top that refused to open with "mtime mismatch".)
 */
class CommitKillTest {
    private static final long SIZE = 256L << 20;
    private static final long OLD_MTIME = 1_700_000_000L;
    private static final FormatTable TABLE = FormatTable.standard();

    private Path dir;
    private Path back;
    private Path top;
    private Path expected;

    @BeforeEach
    void stack() throws IOException {
        Path shm = Path.of("/dev/shm");
        dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "commit-kill")
                : Files.createTempDirectory("commit-kill");
        back = dir.resolve("back.img");
        top = dir.resolve("top.cow");
        expected = dir.resolve("expected.img");
        try (FileChannel f = FileChannel.open(back, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            for (long at = 0; at < SIZE; at += chunk.capacity()) {
                Arrays.fill(chunk.clear().array(), (byte) (at >> 20));
                f.write(chunk, at);
            }
        }
        Files.setLastModifiedTime(back, FileTime.from(OLD_MTIME, TimeUnit.SECONDS));
        TABLE.create(CreateSpec.of(top, "cow").withBacking(back));
        Random random = new Random(7);
        byte[] run = new byte[4096];
        try (SyncEngine engine = new SyncEngine(); BlockImage image = TABLE.open(OpenSpec.of(top, engine))) {
            for (long at = 0; at < SIZE; at += run.length) {
                if (random.nextBoolean()) {
                    Arrays.fill(run, (byte) (random.nextInt(255) + 1));
                    run[0] = (byte) (at >> 12);
                    BlockIo.write(image, at, ByteBuffer.wrap(run));
                }
            }
        }
        Ubd.Result convert = Ubd.run("convert", "-O", "raw", s(top), s(expected));
        assertEquals(0, convert.exit(), convert::toString);
        Files.copy(back, dir.resolve("back.orig"));
        Files.copy(top, dir.resolve("top.orig"));
    }

    @AfterEach
    void removeStack() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void everyKillLeavesTheOldDiskAndASecondCommitFinishes() throws Exception {
        int kills = Integer.getInteger("ubd.commit.kills", 50);
        long seed = Long.getLong("ubd.test.seed", System.nanoTime());
        Random random = new Random(seed);
        long maxDelayMicros = 300_000;
        int killedInside = 0;
        boolean resuming = false;
        Path log = dir.resolve("commit.log");
        for (int k = 0; k < kills; k++) {
            Files.deleteIfExists(log);
            Process commit = UbdProcess.builder(List.of(), List.of("-XX:TieredStopAtLevel=1"), "commit", s(top))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean early = !resuming && random.nextInt(8) == 0; // now and then anywhere, before the journal
            if (!early) {
                awaitCommitStarted(commit, resuming, log);
            }
            long delay = (long) (random.nextDouble() * (early ? 1_000_000 : maxDelayMicros));
            TimeUnit.MICROSECONDS.sleep(delay);
            boolean finished = !commit.isAlive();
            commit.destroyForcibly(); // SIGKILL: no shutdown hooks, nothing closed
            assertTrue(commit.waitFor(10, TimeUnit.SECONDS));
            String where = "kill " + k + " (seed " + seed + ", " + delay + " us after " + (early ? "start"
                    : resuming ? "resuming" : "the journal") + ", " + (finished ? "it had finished: exit "
                    + commit.exitValue() : "killed") + ")";
            if (finished) {
                assertEquals(0, commit.exitValue(), where + ": " + Files.readString(log));
                maxDelayMicros = maxDelayMicros * 4 / 5;
            } else {
                killedInside += Files.exists(CommitJournal.beside(top)) ? 1 : 0;
                maxDelayMicros = maxDelayMicros * 21 / 20;
            }
            assertSameDisk(top, where + ": the top");
            // The next kill hits the commit resuming from here, or (always once it finished) a second commit runs to
            // the end here and the stack starts afresh.
            resuming = !finished && random.nextInt(3) != 0 && Files.exists(CommitJournal.beside(top));
            if (!resuming) {
                Ubd.Result second = Ubd.run("commit", s(top));
                assertEquals(0, second.exit(), where + ": " + second);
                assertSameFile(back, where + ": the base after a second commit");
                assertTopHoldsNothing(where);
                reset();
            }
        }
        assertTrue(killedInside >= kills / 2, killedInside + " of " + kills + " kills landed inside a commit");
    }

    /** Waits until a fresh commit has made its journal, or a resumed one has said it resumes. */
    private void awaitCommitStarted(Process commit, boolean resuming, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (commit.isAlive() && System.nanoTime() < deadline
                && !(resuming ? Files.exists(log) && Files.readString(log).contains("finishing the interrupted commit")
                : Files.exists(CommitJournal.beside(top)))) {
            Thread.sleep(0, 200_000);
        }
    }

    private void assertTopHoldsNothing(String where) throws IOException {
        try (SyncEngine engine = new SyncEngine();
             BlockImage disk = TABLE.open(OpenSpec.of(top, engine).withReadOnly(true))) {
            assertEquals(List.of(new Allocation(0, SIZE, 1)), disk.allocationMap(0, SIZE), where + ": the emptied top");
        }
    }

    private void reset() throws IOException {
        Files.copy(dir.resolve("back.orig"), back, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(back, FileTime.from(OLD_MTIME, TimeUnit.SECONDS));
        Files.copy(dir.resolve("top.orig"), top, StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(CommitJournal.beside(top));
    }

    /** {@code image}'s disk (the sectors a commit merges: the size is whole sectors) equals the expected bytes. */
    private void assertSameDisk(Path image, String what) throws IOException {
        try (SyncEngine engine = new SyncEngine();
             BlockImage disk = TABLE.open(OpenSpec.of(image, engine).withReadOnly(true));
             FileChannel want = FileChannel.open(expected)) {
            ByteBuffer got = ByteBuffer.allocate(4 << 20);
            ByteBuffer exp = ByteBuffer.allocate(4 << 20);
            for (long at = 0; at < SIZE; at += got.capacity()) {
                BlockIo.read(disk, at, got.clear());
                exp.clear();
                while (exp.hasRemaining() && want.read(exp, at + exp.position()) > 0) {
                    // read it all
                }
                if (!Arrays.equals(got.array(), exp.array())) {
                    fail(what + " differs from the pre-commit disk in the 4 MiB at " + at);
                }
            }
        }
    }

    private void assertSameFile(Path file, String what) throws IOException {
        assertEquals(SIZE, Files.size(file), what);
        if (Files.mismatch(file, expected) != -1) {
            fail(what + " differs from the pre-commit disk at byte " + Files.mismatch(file, expected));
        }
    }
}
