package org.ubdjvm.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.ubdjvm.driver.DeviceCalls.call;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.testing.Engines;
import org.ubdjvm.queue.RequestOp;

/** The seed's live snapshot: a new top put on a device in use, at a barrier, while writers keep going. */
class LiveSnapshotTest {
    private static final int SECTORS_PER_WRITER = 64;
    private static final int WRITERS = 3;

    @TempDir
    Path dir;


    private static byte[] block(long sector, long generation) {
        return Disks.sector("s%06d g" + generation + " ", sector);
    }

    /** Every sector reads the last write the model says completed (generation 0: the backing's pattern). */
    private static void checkAgainstModel(UbdDevice d, AtomicLongArray model, Path back) throws Exception {
        byte[] base = Files.readAllBytes(back);
        for (int s = 0; s < model.length(); s++) {
            ByteBuffer got = ByteBuffer.allocate(512);
            assertNull(call(d, RequestOp.READ, s * 512L, got));
            long g = model.get(s);
            byte[] want = g == 0 ? java.util.Arrays.copyOfRange(base, s * 512, s * 512 + 512) : block(s, g);
            assertArrayEquals(want, got.array(), "sector " + s + " (generation " + g + ")");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sync", "io_uring"})
    void writersNeverNoticeSnapshotsAndTheChainReopensColdToTheSameDisk(String engineName) throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), WRITERS * SECTORS_PER_WRITER * 512L);
        Path cow = dir.resolve("top0.cow");
        AtomicLongArray model = new AtomicLongArray(WRITERS * SECTORS_PER_WRITER);
        List<Duration> pauses = new ArrayList<>();
        int snapshots = 12;
        try (IoEngine engine = Engines.open(engineName, 64);
             DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)))) {
            UbdDevice d = table.add("ubd0=" + cow + "," + back);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int first = w * SECTORS_PER_WRITER;
                Thread t = new Thread(() -> {
                    long generation = 0;
                    try {
                        while (!stop.get()) {
                            generation++;
                            int s = first + (int) (generation * 7 % SECTORS_PER_WRITER);
                            IOException e = call(d, RequestOp.WRITE, s * 512L, ByteBuffer.wrap(block(s, generation)));
                            if (e != null) {
                                throw e;
                            }
                            model.set(s, generation); // completed: every later read must see it
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                t.start();
                writers.add(t);
            }
            for (int i = 1; i <= snapshots; i++) {
                Thread.sleep(20);
                pauses.add(d.snapshot(dir.resolve("top" + i + ".cow"), null, Duration.ofSeconds(30)).pause());
            }
            stop.set(true);
            for (Thread t : writers) {
                t.join();
            }
            assertNull(failure.get(), () -> "a writer failed: " + failure.get());
            checkAgainstModel(d, model, back);
            ImageInfo stack = d.stack();
            assertEquals(snapshots + 2, stack.depth(), "top, every snapshot's old top, the backing");
            assertEquals(dir.resolve("top" + snapshots + ".cow"), stack.filename());
        }
        for (Duration p : pauses) {
            assertTrue(p.compareTo(Duration.ofSeconds(5)) < 0, "pause " + p);
        }
        try (IoEngine engine = Engines.open("sync", 8);
             DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)))) {
            UbdDevice cold = table.add("ubd0=" + dir.resolve("top" + snapshots + ".cow"));
            checkAgainstModel(cold, model, back);
        }
    }

    /**
     * A write still on its way to the old top when the snapshot is asked for must land before the new header records
     * the old top's mtime: the host here sits on every data write for 1.1 s, so a switch that did not wait for it
     * would leave an old top whose mtime (in seconds, as the kernel checks it) no longer matches, and the chain would
     * not open again. Under {@code --barrier=none} the ring's barrier syncs nothing, so the switch must sync that
     * write's bitmap itself: left dirty, it would be written when the device closes a second later, moving the mtime
     * the same way.
     */
    @ParameterizedTest
    @EnumSource(value = FlushMode.class, names = {"SYNC_ON_BARRIER", "NONE"})
    void theSwitchWaitsForWritesInFlightSoTheOldTopsMtimeStaysTheOneRecorded(FlushMode barriers) throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = dir.resolve("top.cow");
        java.util.concurrent.ScheduledExecutorService later = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        try (IoEngine slowWrites = new org.ubdjvm.hostio.testing.ForwardingIoEngine(Engines.open("sync", 8)) {
                @Override
                public void write(org.ubdjvm.hostio.HostFile file, ByteBuffer src, long position,
                                  org.ubdjvm.hostio.IoCompletion done) {
                    if (src.remaining() < 4096) {
                        super.write(file, src, position, done); // headers and bitmaps: at once
                    } else {
                        later.schedule(() -> super.write(file, src, position, done), 1100, TimeUnit.MILLISECONDS);
                    }
                }
            };
             DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(slowWrites))
                     .withBarrierMode(barriers))) {
            UbdDevice d = table.add("ubd0=" + cow + "," + back);
            CompletableFuture<IOException> write = new CompletableFuture<>();
            byte[] data = new byte[4096];
            java.util.Arrays.fill(data, (byte) 0x5a);
            d.submit(RequestOp.WRITE, 8192, ByteBuffer.wrap(data), (r, e) -> write.complete(e));
            d.snapshot(dir.resolve("new.cow"), null, Duration.ofSeconds(30));
            assertTrue(write.isDone(), "the write submitted before the snapshot completed before the switch");
            assertNull(write.get());
            Thread.sleep(1100); // anything written to the old top from now on moves its mtime past the recorded one
        } finally {
            later.shutdownNow();
        }
        try (IoEngine engine = Engines.open("sync", 8);
             DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)))) {
            UbdDevice cold = table.add("ubd0=" + dir.resolve("new.cow"));
            ByteBuffer got = ByteBuffer.allocate(4096);
            assertNull(call(cold, RequestOp.READ, 8192, got));
            assertEquals(0x5a, got.get(4095));
        }
    }

    @Test
    void aSnapshotThatCannotBeMadeLeavesTheDeviceOnItsOldTopAndNoFile() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = dir.resolve("top.cow");
        Path existing = Files.writeString(dir.resolve("taken.cow"), "not mine");
        Path noDir = dir.resolve("missing/dir/new.cow");
        try (IoEngine engine = Engines.open("sync", 8);
             DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)))) {
            UbdDevice d = table.add("ubd0=" + cow + "," + back);
            assertNull(call(d, RequestOp.WRITE, 0, ByteBuffer.wrap(block(0, 1))));
            IOException taken = assertThrows(IOException.class, () -> d.snapshot(existing, null, Duration.ofSeconds(10)));
            assertTrue(taken.getMessage().contains("file exists"), taken.getMessage());
            assertEquals("not mine", Files.readString(existing));
            IOException bad = assertThrows(IOException.class, () -> d.snapshot(noDir, null, Duration.ofSeconds(10)));
            assertTrue(bad.getMessage().startsWith("ubda: snapshot " + noDir), bad.getMessage());
            assertFalse(Files.exists(noDir));
            // HEADER's "backing" is its data file: the old top would be written through, not only read
            Path header = dir.resolve("new.hdr");
            IOException notCow = assertThrows(IOException.class,
                    () -> d.snapshot(header, "header", Duration.ofSeconds(10)));
            assertEquals("ubda: snapshot " + header + ": format header makes no copy-on-write layer over the old top"
                    + " (formats that do: isam, cow)", notCow.getMessage());
            assertFalse(Files.exists(header));
            assertNull(call(d, RequestOp.WRITE, 512, ByteBuffer.wrap(block(1, 1))));
            assertEquals(2, d.stack().depth());
            assertEquals(cow, d.stack().filename());
        }
    }

    private static final int O_DSYNC = 010000;
    private static final int O_DIRECT = 040000;

    /**
     * The new top is opened as the device opened the old one: here O_DIRECT ({@code O}) and O_DSYNC ({@code s}),
     * read from the kernel's own record of the descriptor ({@code /proc/self/fdinfo}).
     */
    @Test
    void theNewTopIsOpenedWithTheDevicesFlags() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = dir.resolve("top.cow");
        Path next = dir.resolve("next.cow");
        try (IoEngine engine = Engines.open("sync", 8);
             DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)))) {
            UbdDevice d = table.add("ubd0sO=" + cow + "," + back);
            assertEquals(O_DIRECT | O_DSYNC, openFlags(cow) & (O_DIRECT | O_DSYNC), "the old top's flags");
            d.snapshot(next, null, Duration.ofSeconds(10));
            assertEquals(O_DIRECT | O_DSYNC, openFlags(next) & (O_DIRECT | O_DSYNC), "the new top's flags");
            // O_DIRECT: buffers at an aligned address
            ByteBuffer written = ByteBuffer.allocateDirect(8192).alignedSlice(4096).limit(4096);
            written.put(0, (byte) 0x5a).put(4095, (byte) 0xa5);
            assertNull(call(d, RequestOp.WRITE, 8192, written));
            ByteBuffer got = ByteBuffer.allocateDirect(8192).alignedSlice(4096).limit(4096);
            assertNull(call(d, RequestOp.READ, 8192, got));
            assertEquals(0x5a, got.get(0));
            assertEquals((byte) 0xa5, got.get(4095));
        }
    }

    /** The open flags of this process's descriptor of {@code file} (octal in fdinfo). */
    private static int openFlags(Path file) throws IOException {
        Path real = file.toRealPath();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                Path target;
                try {
                    target = Files.readSymbolicLink(fd);
                } catch (IOException gone) {
                    continue; // the listing's own descriptor, closed by now
                }
                if (target.equals(real)) {
                    for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", fd.getFileName().toString()))) {
                        if (line.startsWith("flags:")) {
                            return Integer.parseInt(line.substring("flags:".length()).trim(), 8);
                        }
                    }
                }
            }
        }
        throw new AssertionError(file + " is not open in this process");
    }

    /**
     * The barrier holds the ring for the drain only; the old top's last writes become durable after the release.
     * Until they have, a flush of the new top must not complete, since the guest's earlier writes live in the old
     * top: here the old top's sync after the switch hangs until released, and a guest flush sent meanwhile waits.
     */
    @Test
    void aFlushOfTheNewTopWaitsUntilTheOldTopBeneathItIsDurable() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = dir.resolve("top.cow");
        Path newTop = dir.resolve("new.cow");
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService later = java.util.concurrent.Executors.newCachedThreadPool();
        try (IoEngine gated = new org.ubdjvm.hostio.testing.ForwardingIoEngine(Engines.open("sync", 8)) {
                @Override
                public void datasync(org.ubdjvm.hostio.HostFile file, org.ubdjvm.hostio.IoCompletion done) {
                    if (file.path().toAbsolutePath().equals(cow.toAbsolutePath()) && Files.exists(newTop)) {
                        later.execute(() -> { // the old top's sync once the new file is in place: after the switch
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            super.datasync(file, done);
                        });
                    } else {
                        super.datasync(file, done);
                    }
                }
            };
             DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(gated)))) {
            UbdDevice d = table.add("ubd0=" + cow + "," + back);
            assertNull(call(d, RequestOp.WRITE, 0, ByteBuffer.wrap(block(0, 1))));
            CompletableFuture<SnapshotTiming> snapshot = CompletableFuture.supplyAsync(() -> {
                try {
                    return d.snapshot(newTop, null, Duration.ofSeconds(30));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, later);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!d.stack().filename().equals(newTop) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(newTop, d.stack().filename(), "switched while the old top's sync hangs");
            assertNull(call(d, RequestOp.WRITE, 512, ByteBuffer.wrap(block(1, 1))));
            CompletableFuture<IOException> flush = new CompletableFuture<>();
            d.submit(RequestOp.FLUSH, 0, null, (r, e) -> flush.complete(e));
            Thread.sleep(300);
            assertFalse(flush.isDone(), "a flush of the new top completed before the old top was durable");
            assertFalse(snapshot.isDone());
            release.countDown();
            assertNull(flush.get(20, TimeUnit.SECONDS));
            SnapshotTiming t = snapshot.get(20, TimeUnit.SECONDS);
            assertEquals(Duration.ZERO, t.flush(), "the hold flushes nothing");
            assertTrue(t.settle().compareTo(Duration.ofMillis(300)) > 0, t::toString);
        } finally {
            release.countDown();
            later.shutdownNow();
        }
    }
}
