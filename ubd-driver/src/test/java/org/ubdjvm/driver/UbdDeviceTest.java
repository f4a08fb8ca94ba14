package org.ubdjvm.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.ubdjvm.driver.DeviceCalls.call;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.cow.testing.RecordingEngine;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.hostio.testing.LosingEngine;
import org.ubdjvm.hostio.testing.ProcLocks;
import org.ubdjvm.queue.RequestOp;
import org.ubdjvm.queue.RequestTimeoutException;

class UbdDeviceTest {
    @TempDir
    Path dir;


    @Test
    void theKernelsCowSyntaxCreatesTheCowFileAndFlushSyncsAfterTheWritesBeforeIt() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 256 * 1024);
        Path cow = dir.resolve("new.cow");
        List<String> notes = new ArrayList<>();
        RecordingEngine engine = new RecordingEngine();
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)).withWarnings(notes::add))) {
            UbdDevice d = table.add("ubd1=" + cow + "," + back);
            assertEquals("Creating \"" + cow + "\" as COW file for \"" + back + "\"", notes.get(0));
            engine.clear();
            List<CompletableFuture<IOException>> writes = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                Thread th = new Thread(() -> {
                    for (int i = 0; i < 25; i++) {
                        CompletableFuture<IOException> f = new CompletableFuture<>();
                        d.submit(RequestOp.WRITE, (thread * 25L + i) * 512, ByteBuffer.wrap(Disks.sector("cow %06d ", thread * 25L + i)),
                                (r, e) -> f.complete(e));
                        writes.add(f);
                    }
                });
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) {
                th.join();
            }
            assertEquals(null, call(d, RequestOp.FLUSH, 0, null));
            for (CompletableFuture<IOException> w : writes) {
                assertTrue(w.isDone(), "a write submitted before the flush completed before it");
                assertEquals(null, w.get());
            }
            List<RecordingEngine.Call> trace = engine.calls();
            int lastDataWrite = -1;
            int firstSync = -1;
            for (int i = 0; i < trace.size(); i++) {
                RecordingEngine.Call c = trace.get(i);
                if (c.op().equals("write") && c.position() >= 12288) {
                    lastDataWrite = i;
                }
                if (c.op().equals("datasync") && firstSync < 0) {
                    firstSync = i;
                }
            }
            assertEquals(100, trace.stream().filter(c -> c.op().equals("write") && c.position() >= 12288).count());
            assertTrue(lastDataWrite < firstSync, "fdatasync after every data write: " + trace);
            assertEquals("write new.cow @8192+64", trace.get(firstSync + 1).toString(), "then the bitmap's page");
            assertEquals("datasync", trace.get(firstSync + 2).op());
        }
        // The flushed stack reads back what was written, and the backing where nothing was.
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            UbdDevice d = table.add("ubd0r=" + cow);
            ByteBuffer two = ByteBuffer.allocate(1024);
            assertEquals(null, call(d, RequestOp.READ, 99 * 512, two));
            assertArrayEquals(Disks.sector("cow %06d ", 99), java.util.Arrays.copyOf(two.array(), 512));
            assertArrayEquals(Disks.sector("back %06d ", 100), java.util.Arrays.copyOfRange(two.array(), 512, 1024));
        }
    }

    /** {@code V4} (the seed's ISAM) creates the new layer as a V3 header with cow_format 1: the file grows as written. */
    @Test
    void v4CreatesAnIsamLayerThatGrowsWithWhatIsWritten() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 4 * 1024 * 1024);
        Path cow = dir.resolve("new.isam");
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            UbdDevice d = table.add("ubd1V4=" + cow + "," + back);
            assertEquals(null, call(d, RequestOp.WRITE, 3 * 1024 * 1024, ByteBuffer.wrap(Disks.sector("isam %06d ", 1))));
            assertEquals(null, call(d, RequestOp.FLUSH, 0, null));
            ByteBuffer read = ByteBuffer.allocate(1024);
            assertEquals(null, call(d, RequestOp.READ, 3 * 1024 * 1024 - 512, read));
            assertArrayEquals(Disks.sector("back %06d ", 3 * 2048 - 1), java.util.Arrays.copyOfRange(read.array(), 0, 512));
            assertArrayEquals(Disks.sector("isam %06d ", 1), java.util.Arrays.copyOfRange(read.array(), 512, 1024));
        }
        byte[] head = Files.readAllBytes(cow);
        assertEquals(1, ByteBuffer.wrap(head, 28, 4).getInt(), "cow_format 1 (ISAM) at offset 28");
        assertTrue(head.length < 64 * 1024, "an ISAM file holding one sector of a 4 MiB disk is " + head.length + " bytes");
    }

    @Test
    void badRequestsCompleteWithAnErrorAndWriteNothing() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        byte[] before = Files.readAllBytes(back);
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            UbdDevice ro = table.add("ubd0r=" + back);
            assertTrue(call(ro, RequestOp.WRITE, 0, ByteBuffer.allocate(512)).getMessage().contains("read-only"));
            assertTrue(call(ro, RequestOp.READ, 64 * 1024, ByteBuffer.allocate(512)).getMessage().contains("past the end"));
            assertTrue(call(ro, RequestOp.READ, 7, ByteBuffer.allocate(512)).getMessage().contains("not a multiple"));
            UbdDevice noTrim = table.add("ubd1t=" + Disks.patternedRaw(dir.resolve("other.img"), 4096)); // back is ubd0's
            CompletableFuture<IOException> refused = new CompletableFuture<>();
            noTrim.discard(0, 512, (r, e) -> refused.complete(e));
            assertTrue(refused.get(30, TimeUnit.SECONDS).getMessage().contains("discard is disabled (flag t)"));
            UbdOptionException dup = assertThrows(UbdOptionException.class, () -> table.add("ubd1=" + back));
            assertTrue(dup.getMessage().contains("Device is already configured"));
        }
        assertArrayEquals(before, Files.readAllBytes(back));
    }

    /**
     * The probed-raw rule in the driver: a guest writing a COW header into sector 0 of a raw disk opened without
     * {@code d} gets an I/O error on that request alone (and one warning at open); with {@code d} it is allowed.
     */
    @Test
    void aGuestCannotTurnAProbedRawDiskIntoACow() throws Exception {
        Path secret = Disks.patternedRaw(dir.resolve("secret"), 64 * 1024);
        Path evil = dir.resolve("evil.cow");
        org.ubdjvm.cow.FormatTable.standard().create(org.ubdjvm.cow.CreateSpec.of(evil, "cow").withBacking(secret));
        byte[] header = java.util.Arrays.copyOf(Files.readAllBytes(evil), 4096);
        Path disk = Files.write(dir.resolve("disk.img"), new byte[64 * 1024]);
        List<String> notes = new ArrayList<>();
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())).withWarnings(notes::add))) {
            UbdDevice probed = table.add("ubd0=" + disk);
            IOException refused = call(probed, RequestOp.WRITE, 0, ByteBuffer.wrap(header));
            assertTrue(refused.getMessage().contains("would make it probe as cow"), refused.getMessage());
            assertEquals(null, call(probed, RequestOp.WRITE, 4096, ByteBuffer.wrap(header)), "elsewhere as ever");
        }
        assertEquals(1, notes.size(), notes::toString);
        assertTrue(notes.get(0).contains("the format was probed as raw"), notes::toString);
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            assertEquals(null, call(table.add("ubd0d=" + disk), RequestOp.WRITE, 0, ByteBuffer.wrap(header)));
        }
        assertArrayEquals(header, java.util.Arrays.copyOf(Files.readAllBytes(disk), 4096));
    }

    @Test
    void aDiscardThroughTheRingReadsZeros() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            UbdDevice d = table.add("ubd0=" + dir.resolve("d.cow") + "," + back);
            CompletableFuture<IOException> f = new CompletableFuture<>();
            d.discard(1024, 2048, (r, e) -> f.complete(e));
            assertEquals(null, f.get(30, TimeUnit.SECONDS));
            ByteBuffer b = ByteBuffer.allocate(3072);
            assertEquals(null, call(d, RequestOp.READ, 512, b));
            assertArrayEquals(Disks.sector("back %06d ", 1), java.util.Arrays.copyOf(b.array(), 512));
            assertArrayEquals(new byte[2048], java.util.Arrays.copyOfRange(b.array(), 512, 2560));
        }
    }

    @Test
    void dataFlagShowsACowFileAsTheRawBytesItIs() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = dir.resolve("c.cow");
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            table.add("ubd0r=" + cow + "," + back); // read-only: one process opens a file twice only so
            UbdDevice raw = table.add("ubd1dr=" + cow);
            ByteBuffer head = ByteBuffer.allocate(512);
            assertEquals(null, call(raw, RequestOp.READ, 0, head));
            assertEquals("OOOM", new String(head.array(), 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals(Files.size(cow), raw.capacity());
        }
    }

    @Test
    void aFileServesTwoDevicesOnlyWhenBothOpenItReadOnly() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = dir.resolve("d.cow");
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            table.add("ubd0=" + cow + "," + back);
            IOException twice = assertThrows(IOException.class, () -> table.add("ubd1=" + cow));
            assertEquals(cow + ": already open read-write in this process; a file may be opened twice only when both"
                    + " are read-only", twice.getMessage());
            assertThrows(IOException.class, () -> table.add("ubd1c=" + cow), "c skips the host lock, not this");
            IOException backing = assertThrows(IOException.class, () -> table.add("ubd1d=" + back));
            assertTrue(backing.getMessage().startsWith(back + ": already open read-only in this process"),
                    backing.getMessage());
            table.add("ubd1r=" + back); // the backing of ubd0 and a read-only device of its own
            assertEquals(null, table.get(2));
        }
    }

    @Test
    void everyDeviceTakesTheKernelsLockExceptWithCOrForceShare() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path cow = dir.resolve("x.cow");
        long pid = ProcessHandle.current().pid();
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            table.add("ubd0=" + cow + "," + back);
            assertEquals(List.of(new ProcLocks.Lock("POSIX", "WRITE", pid)), ProcLocks.heldBy(cow, pid));
            assertEquals(List.of(new ProcLocks.Lock("POSIX", "READ", pid)), ProcLocks.heldBy(back, pid));
        }
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            table.add("ubd0c=" + cow + "," + back);
            assertEquals(List.of(), ProcLocks.on(cow));
            assertEquals(List.of(), ProcLocks.on(back));
        }
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())).withForceShare(true))) {
            table.add("ubd0=" + cow + "," + back);
            assertEquals(List.of(), ProcLocks.on(cow));
            assertEquals(List.of(), ProcLocks.on(back));
        }
    }

    @Test
    void geometryIsTheUmlDefaultUnlessGivenAndMustFitTheImage() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 4 * 1024 * 1024);
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            assertEquals(new Geometry(2, 128, 32, Geometry.Source.DEFAULT), table.add("ubd0r=" + back).geometry());
            assertEquals(new Geometry(8, 16, 63), table.add("ubd1rC8H16S63=" + back).geometry());
            IOException e = assertThrows(IOException.class, () -> table.add("ubd2rC102H15S16=" + back));
            assertTrue(e.getMessage().contains("more than the image's"), e.getMessage());
        }
    }

    /** Writes a sector through the device, reads it back, and returns the engine the device used. */
    private String roundTripThrough(String option, org.ubdjvm.hostio.IoEngine shared) throws Exception {
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(shared)))) {
            UbdDevice d = table.add(option);
            byte[] sector = Disks.sector("letters %06d ", 7);
            assertEquals(null, call(d, RequestOp.WRITE, 7 * 512, ByteBuffer.wrap(sector)));
            ByteBuffer back = ByteBuffer.allocate(512);
            assertEquals(null, call(d, RequestOp.READ, 7 * 512, back));
            assertArrayEquals(sector, back.array());
            return d.engineName();
        } finally {
            shared.close();
        }
    }

    @Test
    void theAioAndMmapLettersChooseTheDevicesEngine() throws Exception {
        Path img = Disks.patternedRaw(dir.resolve("letters.img"), 1 << 20);
        assertEquals("sync", roundTripThrough("ubd0dA0=" + img, org.ubdjvm.hostio.IoEngines.create("io_uring")));
        assertTrue(List.of("io_uring", "aio").contains(roundTripThrough("ubd0dA1=" + img, new SyncEngine())));
        assertEquals("mmap", roundTripThrough("ubd0dM1.256=" + img, new SyncEngine()));
        assertEquals("sync", roundTripThrough("ubd0dM1.0=" + img, new SyncEngine()), "the seed's default maps no data");
        assertEquals("io_uring", roundTripThrough("ubd0d=" + img, org.ubdjvm.hostio.IoEngines.create("io_uring")));
    }

    @Test
    void aioOnAndMappedDataTogetherAreRefusedWithOneLine() throws Exception {
        Path img = Disks.patternedRaw(dir.resolve("both.img"), 1 << 20);
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            UbdOptionException e = assertThrows(UbdOptionException.class, () -> table.add("ubd0dA1M1.16=" + img));
            assertEquals("\"ubd0dA1M1.16=" + img + "\": A1 and M1.16 both choose how data moves (AIO, or copies from"
                    + " mapped data): give one of them", e.getMessage());
        }
    }

    /**
     * blk-mq's request timeout through a whole device: a read the engine loses fails with ETIMEDOUT after the T
     * letter's seconds, one line naming device, op and offset; the engine is asked to cancel it; the device goes on
     * serving, over the same COW stack, and its late ECANCELED answer reaches nobody.
     */
    @Test
    void aReadTheEngineLosesFailsAfterTheDevicesTimeoutAndTheDeviceGoesOn() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 256 * 1024);
        Path cow = dir.resolve("lost.cow");
        long lostOffset = 12288 + 16 * 512; // the data area of a V3 COW over 256 KiB starts at 12288
        LosingEngine engine = new LosingEngine(new SyncEngine(), lostOffset);
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)))) {
            UbdDevice d = table.add("ubd0T1=" + cow + "," + back);
            assertEquals(java.time.Duration.ofSeconds(1), d.requestTimeout());
            assertEquals(null, call(d, RequestOp.WRITE, 16 * 512, ByteBuffer.wrap(Disks.sector("cow %06d ", 16))));
            CompletableFuture<IOException> lost = new CompletableFuture<>();
            List<IOException> lostCalls = new CopyOnWriteArrayList<>();
            long start = System.nanoTime();
            d.submit(RequestOp.READ, 16 * 512, ByteBuffer.allocate(512), (r, e) -> {
                lostCalls.add(e);
                lost.complete(e);
            });
            assertTrue(engine.awaitLost(java.time.Duration.ofSeconds(10)));
            String dump = d.describeInFlight();
            assertTrue(dump.startsWith("ubda: read of 512 bytes at offset 8192, in flight "), dump);
            assertTrue(dump.endsWith("lost read at offset " + lostOffset + " of " + cow), dump);
            // Other requests, reads and writes, go past it meanwhile.
            for (int s = 0; s < 64; s += 2) {
                assertEquals(null, call(d, RequestOp.WRITE, (32 + s) * 512L, ByteBuffer.wrap(Disks.sector("w %06d ", s))));
                assertEquals(null, call(d, RequestOp.READ, (100 + s) * 512L, ByteBuffer.allocate(512)));
            }
            IOException e = lost.get(10, TimeUnit.SECONDS);
            long took = System.nanoTime() - start;
            assertEquals("ubda: read of 512 bytes at offset 8192 timed out after 1 s: ETIMEDOUT (Connection timed out)",
                    e.getMessage());
            assertTrue(e instanceof RequestTimeoutException t && t.op() == RequestOp.READ && t.offset() == 8192);
            assertTrue(took >= TimeUnit.SECONDS.toNanos(1) && took < TimeUnit.SECONDS.toNanos(3), took / 1_000_000 + " ms");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (engine.cancels().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(List.of(java.time.Duration.ofSeconds(1)), engine.cancels().subList(0, Math.min(1,
                    engine.cancels().size())), "the engine was asked to cancel, with the device's timeout");
            ByteBuffer again = ByteBuffer.allocate(512);
            assertEquals(null, call(d, RequestOp.READ, 16 * 512, again), "the same sector reads fine now");
            assertArrayEquals(Disks.sector("cow %06d ", 16), again.array());
            assertEquals(null, call(d, RequestOp.FLUSH, 0, null));
            assertEquals(1, lostCalls.size(), "the cancelled read's late answer reached nobody");
            assertEquals("", d.describeInFlight());
        }
    }
}
