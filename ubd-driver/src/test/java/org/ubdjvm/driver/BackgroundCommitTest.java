package org.ubdjvm.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.driver.DeviceCalls.call;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.cow.CommitJournal;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.testing.Engines;
import org.ubdjvm.queue.RequestOp;

/**
 * The background commit of a running device: layers below the active top merged into a base while writers keep
 * writing and verifying, then the stack switched at a barrier; cancelled, refused, and reopened cold.
 */
class BackgroundCommitTest {
    private static final int SECTORS = 2048; // 1 MiB
    private static final int WRITERS = 3;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private Path back;
    private AtomicLongArray model;

    @BeforeEach
    void disk() throws IOException {
        back = Disks.patternedRaw(dir.resolve("back.img"), SECTORS * 512L);
        // an old mtime, so a write to the base shows in the kernel's mtime check (which counts seconds)
        Files.setLastModifiedTime(back, java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_000L));
        model = new AtomicLongArray(SECTORS);
    }

    private static byte[] block(long sector, long generation) {
        return Disks.sector("s%06d g" + generation + " ", sector);
    }

    private byte[] expected(byte[] base, int s) {
        long g = model.get(s);
        return g == 0 ? Arrays.copyOfRange(base, s * 512, s * 512 + 512) : block(s, g);
    }

    /** Every sector reads the last write the model says completed (generation 0: the backing's pattern). */
    private void checkAgainstModel(UbdDevice d) throws Exception {
        byte[] base = Files.readAllBytes(back);
        ByteBuffer got = ByteBuffer.allocate(SECTORS * 512);
        assertNull(call(d, RequestOp.READ, 0, got));
        for (int s = 0; s < SECTORS; s++) {
            byte[] sector = Arrays.copyOfRange(got.array(), s * 512, s * 512 + 512);
            assertArrayEquals(expected(base, s), sector, "sector " + s + " (generation " + model.get(s) + ")");
        }
    }

    /** Writes generation {@code g} to every {@code step}-th sector, waited for: layers with much to merge. */
    private void fill(UbdDevice d, long g, int step) throws Exception {
        for (int s = 0; s < SECTORS; s += step) {
            assertNull(call(d, RequestOp.WRITE, s * 512L, ByteBuffer.wrap(block(s, g))));
            model.set(s, g);
        }
    }

    /** Writers on sectors of their own, each write read back and compared before the next: the guest's view. */
    private final class Workload implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final List<Thread> threads = new ArrayList<>();

        Workload(UbdDevice d) {
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                Thread t = new Thread(() -> {
                    long generation = 1000;
                    try {
                        while (!stop.get()) {
                            generation++;
                            int s = (int) ((generation * 37 + writer) % (SECTORS / WRITERS)) * WRITERS + writer;
                            IOException e = call(d, RequestOp.WRITE, s * 512L, ByteBuffer.wrap(block(s, generation)));
                            if (e != null) {
                                throw e;
                            }
                            model.set(s, generation);
                            ByteBuffer got = ByteBuffer.allocate(512);
                            e = call(d, RequestOp.READ, s * 512L, got);
                            if (e != null) {
                                throw e;
                            }
                            assertArrayEquals(block(s, generation), got.array(), "sector " + s + " read back");
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                t.start();
                threads.add(t);
            }
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            assertNull(failure.get(), () -> "a writer failed: " + failure.get());
        }
    }

    private IoEngine engine;
    private DeviceTable table;

    private UbdDevice open(String engineName, String arg) throws Exception {
        engine = Engines.open(engineName, 64);
        table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)));
        return table.add(arg);
    }

    @AfterEach
    void close() throws Exception {
        if (table != null) {
            table.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    private UbdDevice reopenCold(Path top) throws Exception {
        close();
        table = null;
        return open("sync", "ubd0=" + top);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sync", "io_uring"})
    void aCommitUnderAVerifyingWorkloadSwitchesTheStackToTheBaseAndReopensColdToTheModel(String engineName)
            throws Exception {
        Path cow0 = dir.resolve("top0.cow");
        Path cow1 = dir.resolve("top1.cow");
        UbdDevice d = open(engineName, "ubd0=" + cow0 + "," + back);
        fill(d, 1, 3);
        d.snapshot(cow1, null, WAIT);
        CommitJob job;
        try (Workload w = new Workload(d)) {
            Thread.sleep(50);
            job = d.commit(CommitRequest.defaults().withSpeed(2L << 20)); // ~0.2 s of copying under the writers
            IOException second = assertThrows(IOException.class, () -> d.commit(CommitRequest.defaults()));
            assertTrue(second.getMessage().contains(job.id() + " is already running"), second.getMessage());
            JobOutcome outcome = job.await(WAIT);
            assertEquals(JobState.COMPLETED, outcome.state(), outcome.reason());
            Thread.sleep(50); // the writers go on over the switched stack
        }
        JobProgress p = job.progress();
        assertTrue(p.bytesTotal() > 0 && p.bytesDone() == p.bytesTotal(), p.toString());
        assertEquals(real(cow1, back), real(d.stack().files()));
        checkAgainstModel(d);
        assertFalse(Files.exists(CommitJournal.beside(cow0)), "journal removed");
        UbdDevice cold = reopenCold(cow1);
        assertEquals(real(cow1, back), real(cold.stack().files()));
        checkAgainstModel(cold);
        // the merged layer is left as ubd commit leaves it: emptied, over the base, and it opens
        UbdDevice merged = reopenCold(cow0);
        assertEquals(0L, merged.stack().allocatedBytes());
    }

    /** {@code topN.cow} in the test's folder: the layers {@link #snapshotted} and the tests make. */
    private Path top(int n) {
        return dir.resolve("top" + n + ".cow");
    }

    /** The device over top0.cow, every {@code step}-th sector written, with top1.cow snapshotted over it. */
    private UbdDevice snapshotted(int step) throws Exception {
        UbdDevice d = open("sync", "ubd0=" + dir.resolve("top0.cow") + "," + back);
        fill(d, 1, step);
        d.snapshot(dir.resolve("top1.cow"), null, WAIT);
        return d;
    }

    /** Waits until the job has copied something, so a cancel lands in the middle of the copy. */
    private static void awaitSomeCopied(CommitJob job) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (job.progress().bytesDone() == 0 && job.progress().state() == JobState.RUNNING
                && System.nanoTime() < until) {
            Thread.sleep(5);
        }
    }

    @Test
    void aCancelledCommitLeavesTheStackAsItWasReadingTheSameAndANextCommitStillCompletes() throws Exception {
        Path cow0 = dir.resolve("top0.cow");
        Path cow1 = dir.resolve("top1.cow");
        UbdDevice d = snapshotted(2);
        try (Workload w = new Workload(d)) {
            CommitJob job = d.commit(CommitRequest.defaults().withSpeed(64 << 10)); // 512 KiB: 8 s unless cancelled
            awaitSomeCopied(job);
            IOException snapshot = assertThrows(IOException.class, () -> d.snapshot(dir.resolve("x.cow"), null, WAIT));
            assertTrue(snapshot.getMessage().contains(job.id() + " is running"), snapshot.getMessage());
            job.cancel();
            JobOutcome outcome = job.await(WAIT);
            assertEquals(JobState.CANCELLED, outcome.state(), outcome.reason());
            JobProgress p = job.progress();
            assertTrue(p.bytesDone() > 0 && p.bytesDone() < p.bytesTotal(), p.toString());
            assertEquals(real(cow1, cow0, back), real(d.stack().files()));
            assertFalse(Files.exists(CommitJournal.beside(cow0)), "journal removed");
        }
        checkAgainstModel(d);
        JobOutcome again = d.commit(CommitRequest.defaults()).await(WAIT);
        assertEquals(JobState.COMPLETED, again.state(), again.reason());
        checkAgainstModel(d);
        UbdDevice cold = reopenCold(cow1);
        checkAgainstModel(cold);
    }

    @Test
    void aCancelledCommitReopensColdAsItWas() throws Exception {
        Path cow0 = dir.resolve("top0.cow");
        Path cow1 = dir.resolve("top1.cow");
        UbdDevice d = snapshotted(2);
        CommitJob job = d.commit(CommitRequest.defaults().withSpeed(64 << 10));
        awaitSomeCopied(job);
        job.cancel();
        assertEquals(JobState.CANCELLED, job.await(WAIT).state());
        UbdDevice cold = reopenCold(cow1);
        assertEquals(real(cow1, cow0, back), real(cold.stack().files()));
        checkAgainstModel(cold);
    }

    /** A base that is itself a COW layer, and a merge that leaves a layer between it and the active top. */
    @Test
    void layersChosenByFileAnywhereBelowTheActiveTop() throws Exception {
        Path cow0 = dir.resolve("top0.cow");
        Path cow1 = dir.resolve("top1.cow");
        Path cow2 = dir.resolve("top2.cow");
        Path cow3 = dir.resolve("top3.cow");
        UbdDevice d = snapshotted(3);
        fill(d, 2, 5);
        d.snapshot(cow2, null, WAIT);
        fill(d, 3, 7);
        d.snapshot(cow3, null, WAIT);
        try (Workload w = new Workload(d)) {
            // cow2 into cow1 (a COW base): cow3 -> cow1 -> cow0 -> back
            JobOutcome first = d.commit(CommitRequest.defaults().withTop(cow2).withBase(cow1)).await(WAIT);
            assertEquals(JobState.COMPLETED, first.state(), first.reason());
            assertEquals(real(cow3, cow1, cow0, back), real(d.stack().files()));
            // cow0 into back, cow1 kept above it: cow3 -> cow1 -> back
            JobOutcome second = d.commit(CommitRequest.defaults().withTop(cow0)).await(WAIT);
            assertEquals(JobState.COMPLETED, second.state(), second.reason());
            assertEquals(real(cow3, cow1, back), real(d.stack().files()));
        }
        checkAgainstModel(d);
        UbdDevice cold = reopenCold(cow3);
        assertEquals(real(cow3, cow1, back), real(cold.stack().files()));
        checkAgainstModel(cold);
    }

    @Test
    void whatCannotBeCommittedIsRefusedInOneLineAndTheDeviceGoesOn() throws Exception {
        Path cow0 = dir.resolve("top0.cow");
        Path cow1 = dir.resolve("top1.cow");
        UbdDevice d = open("sync", "ubd0=" + cow0 + "," + back);
        fill(d, 1, 4);
        IOException nothing = assertThrows(IOException.class, () -> d.commit(CommitRequest.defaults()));
        assertTrue(nothing.getMessage().contains("nothing to commit in the background"), nothing.getMessage());
        d.snapshot(cow1, null, WAIT);
        IOException active = assertThrows(IOException.class,
                () -> d.commit(CommitRequest.defaults().withTop(cow1)));
        assertTrue(active.getMessage().contains("committing the active layer is not supported"), active.getMessage());
        IOException stranger = assertThrows(IOException.class,
                () -> d.commit(CommitRequest.defaults().withBase(dir.resolve("nope.img"))));
        assertTrue(stranger.getMessage().contains("is not a layer of the stack"), stranger.getMessage());
        IOException upside = assertThrows(IOException.class,
                () -> d.commit(CommitRequest.defaults().withTop(cow0).withBase(cow0)));
        assertTrue(upside.getMessage().contains("must lie below top"), upside.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CommitRequest.defaults().withSpeed(-1));
        for (IOException e : List.of(nothing, active, stranger, upside)) {
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        assertEquals(real(cow1, cow0, back), real(d.stack().files()));
        fill(d, 2, 5);
        checkAgainstModel(d);
        assertNull(d.job());
    }

    /**
     * A UML COW V2 header keeps its 4 KiB backing name and the mtime after it in different sectors (V1's 256-byte name
     * and mtime share sector 0), so a V2 layer that must name the base (and the base's new mtime) cannot be rewritten
     * crash-safely: refused before the copy touches the base, whether that layer is the active top or one between it
     * and the merged layers; a V3 layer there commits.
     */
    @Test
    void aV2LayerThatMustNameTheBaseIsRefusedBeforeAnythingIsCopied() throws Exception {
        UbdDevice d = snapshotted(3);
        Path cow0 = top(0);
        Path cow1 = top(1);
        Path cow2 = top(2);
        Path cow3 = top(3);
        d.snapshot(cow2, null, Map.of("version", "2"), WAIT);
        fill(d, 2, 5);
        long baseMtime = Files.getLastModifiedTime(back).toMillis();
        byte[] baseBytes = Files.readAllBytes(back);
        IOException activeV2 = assertThrows(IOException.class,
                () -> d.commit(CommitRequest.defaults().withTop(cow1)));
        assertRefusedBeforeCopying(activeV2, cow2);
        d.snapshot(cow3, null, WAIT);
        fill(d, 3, 7);
        IOException middleV2 = assertThrows(IOException.class,
                () -> d.commit(CommitRequest.defaults().withTop(cow1)));
        assertRefusedBeforeCopying(middleV2, cow2);
        assertEquals(baseMtime, Files.getLastModifiedTime(back).toMillis(), "the base's mtime");
        assertArrayEquals(baseBytes, Files.readAllBytes(back), "the base's bytes");
        assertFalse(Files.exists(CommitJournal.beside(cow0)), "a journal was left");
        assertEquals(real(cow3, cow2, cow1, cow0, back), real(d.stack().files()));
        checkAgainstModel(d);
        assertNull(d.job());
        // the V2 layer merged into the one below it: a V3 layer names that base, and the V2 header changes only
        // its mtime (one sector)
        JobOutcome merged = d.commit(CommitRequest.defaults().withTop(cow2).withBase(cow1)).await(WAIT);
        assertEquals(JobState.COMPLETED, merged.state(), merged.reason());
        assertEquals(real(cow3, cow1, cow0, back), real(d.stack().files()));
        checkAgainstModel(reopenCold(cow3));
    }

    private static void assertRefusedBeforeCopying(IOException e, Path v2) {
        String m = e.getMessage();
        assertTrue(m.contains("commit: refused before copying: " + v2) && m.contains("atomically"), m);
        assertFalse(m.contains("\n"), m);
    }

    /** An NBD export as the base: refused in one line before anything is copied; the device goes on. */
    @Test
    void aBaseThatIsAnNbdExportIsRefusedInOneLine() throws Exception {
        Path cow0 = dir.resolve("top0.cow");
        Path cow1 = dir.resolve("top1.cow");
        byte[] baseBytes = Files.readAllBytes(back);
        try (org.ubdjvm.cow.testing.NbdServer server = org.ubdjvm.cow.testing.NbdServer.qemuNbd(back, false, "")) {
            UbdDevice d = open("sync", "ubd0=" + cow0 + "," + server.uri());
            fill(d, 1, 3);
            d.snapshot(cow1, null, WAIT);
            IOException e = assertThrows(IOException.class, () -> d.commit(CommitRequest.defaults()));
            assertTrue(e.getMessage().startsWith("ubda: commit: the base ") && e.getMessage().contains("is a protocol"
                    + " location, not a host file") && e.getMessage().contains("ubd commit -b "), e.getMessage());
            assertNull(d.job());
            fill(d, 2, 5);
            checkAgainstModel(d);
            close();
            table = null;
        }
        assertArrayEquals(baseBytes, Files.readAllBytes(back), "nothing reached the export");
    }

    private static List<Path> real(Path... files) throws IOException {
        return real(List.of(files));
    }

    private static List<Path> real(List<Path> files) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path f : files) {
            out.add(f.toRealPath());
        }
        return out;
    }
}
