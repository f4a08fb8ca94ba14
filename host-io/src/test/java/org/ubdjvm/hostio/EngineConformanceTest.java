package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every engine promises, run unchanged over each of them (one subclass per engine, as Lucene runs one suite
 * over every Directory). Engines differ in speed and threads, never in what a caller sees.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class EngineConformanceTest {
    @TempDir
    Path dir;

    IoEngine engine;

    /** A fresh engine of the kind under test. Async engines use a small queue so back-pressure is exercised. */
    abstract IoEngine newEngine() throws IOException;

    @BeforeEach
    void openEngine() throws IOException {
        engine = newEngine();
    }

    @AfterEach
    void closeEngine() {
        engine.close();
    }

    @Test
    void randomReadsWritesAndDatasyncsMatchAModelOfTheFile() throws Exception {
        Random random = new Random(4);
        int cell = 32 << 10;
        int cells = 64; // the file may grow to 2 MiB from 256 KiB
        byte[] model = new byte[cell * cells];
        random.nextBytes(model);
        int[] size = {256 << 10};
        Arrays.fill(model, size[0], model.length, (byte) 0);
        Path p = Files.write(dir.resolve("model"), Arrays.copyOf(model, size[0]));
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < cells; i++) {
            order.add(i);
        }
        try (HostFile file = HostFile.open(p, OpenMode.READ_WRITE)) {
            for (int batch = 0; batch < 60; batch++) {
                // One batch is all writes or all reads, each in a cell of its own: requests in flight together
                // complete in any order, and the model must not depend on it.
                boolean writes = random.nextBoolean();
                Collections.shuffle(order, random);
                List<Runnable> checks = new ArrayList<>();
                for (int c : order.subList(0, 1 + random.nextInt(12))) {
                    long offset = (long) c * cell + random.nextInt(cell / 2);
                    int length = 1 + random.nextInt(cell / 2);
                    int slack = random.nextInt(8); // requests start at the buffer's position, not at 0
                    ByteBuffer buffer = random.nextBoolean() ? ByteBuffer.allocate(slack + length)
                            : ByteBuffer.allocateDirect(slack + length);
                    buffer.position(slack);
                    Outcome outcome = new Outcome();
                    if (writes) {
                        byte[] data = new byte[length];
                        random.nextBytes(data);
                        buffer.put(data).position(slack);
                        System.arraycopy(data, 0, model, (int) offset, length);
                        size[0] = (int) Math.max(size[0], offset + length);
                        engine.write(file, buffer, offset, outcome);
                        checks.add(() -> check(() -> {
                            assertEquals(length, outcome.result());
                            assertEquals(buffer.limit(), buffer.position());
                        }));
                    } else {
                        int expected = (int) Math.max(0, Math.min(length, size[0] - offset));
                        engine.read(file, buffer, offset, outcome);
                        checks.add(() -> check(() -> {
                            assertEquals(expected, outcome.result(), "read of " + length + " at " + offset);
                            assertEquals(slack + expected, buffer.position());
                            byte[] got = new byte[expected];
                            buffer.get(slack, got);
                            assertArrayEquals(Arrays.copyOfRange(model, (int) offset, (int) offset + expected), got);
                        }));
                    }
                }
                if (writes && random.nextInt(3) == 0) {
                    Outcome synced = new Outcome();
                    engine.datasync(file, synced);
                    checks.add(() -> check(() -> assertEquals(0, synced.result())));
                }
                engine.submit();
                checks.forEach(Runnable::run);
            }
        }
        assertArrayEquals(Arrays.copyOf(model, size[0]), Files.readAllBytes(p));
    }

    @Test
    void hundredsOfRequestsFromSeveralThreadsEachCompleteExactlyOnce() throws Exception {
        int threads = 4;
        int blocks = 64;
        int block = 4096;
        Path p = dir.resolve("threads");
        List<Outcome> all = Collections.synchronizedList(new ArrayList<>());
        byte[][] models = new byte[threads][blocks * block];
        try (HostFile file = HostFile.open(p, OpenMode.CREATE_NEW)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        useRegion(file, thread, blocks, block, models[thread], all);
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(25, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
        }
        assertEquals(threads * (2 * blocks + 1), all.size());
        for (Outcome o : all) {
            assertEquals(1, o.calls());
        }
        byte[] onDisk = Files.readAllBytes(p);
        for (int t = 0; t < threads; t++) {
            assertArrayEquals(models[t], Arrays.copyOfRange(onDisk, t * blocks * block, (t + 1) * blocks * block));
        }
    }

    /** One thread's share: write every block of its region in random order, datasync, read every block back. */
    private void useRegion(HostFile file, int thread, int blocks, int block, byte[] model, List<Outcome> all)
            throws Exception {
        Random random = new Random(thread);
        random.nextBytes(model);
        long base = (long) thread * blocks * block;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < blocks; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        List<Outcome> writes = new ArrayList<>();
        for (int i = 0; i < blocks; i++) {
            int b = order.get(i);
            ByteBuffer src = thread % 2 == 0 ? ByteBuffer.allocate(block) : ByteBuffer.allocateDirect(block);
            src.put(model, b * block, block).flip();
            Outcome o = new Outcome();
            writes.add(o);
            engine.write(file, src, base + (long) b * block, o);
            if (i % 8 == 7) {
                engine.submit();
            }
        }
        Outcome synced = new Outcome();
        engine.datasync(file, synced);
        engine.submit();
        for (Outcome o : writes) {
            assertEquals(block, o.result());
        }
        assertEquals(0, synced.result());
        Collections.shuffle(order, random);
        List<Outcome> reads = new ArrayList<>();
        List<ByteBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < blocks; i++) {
            ByteBuffer dst = thread % 2 == 1 ? ByteBuffer.allocate(block) : ByteBuffer.allocateDirect(block);
            Outcome o = new Outcome();
            reads.add(o);
            buffers.add(dst);
            engine.read(file, dst, base + (long) order.get(i) * block, o);
            if (i % 8 == 7) {
                engine.submit();
            }
        }
        engine.submit();
        for (int i = 0; i < blocks; i++) {
            assertEquals(block, reads.get(i).result());
            byte[] got = new byte[block];
            buffers.get(i).get(0, got);
            int b = order.get(i);
            assertArrayEquals(Arrays.copyOfRange(model, b * block, (b + 1) * block), got, "block " + b);
        }
        all.addAll(writes);
        all.add(synced);
        all.addAll(reads);
    }

    @Test
    void readsPastTheEndReportTheBytesThatWereThere() throws Exception {
        byte[] data = pattern(10_000, 1);
        Path p = Files.write(dir.resolve("short"), data);
        try (HostFile file = HostFile.open(p, OpenMode.READ_ONLY)) {
            ByteBuffer tail = ByteBuffer.allocate(4096);
            ByteBuffer whole = ByteBuffer.allocateDirect(300_000);
            Outcome crossing = read(file, tail, 8192);
            Outcome atEnd = read(file, ByteBuffer.allocate(512), 10_000);
            Outcome beyond = read(file, ByteBuffer.allocate(512), 1 << 20);
            Outcome all = read(file, whole, 0);
            Outcome empty = read(file, ByteBuffer.allocate(0), 0);
            engine.submit();
            assertEquals(10_000 - 8192, crossing.result());
            assertArrayEquals(Arrays.copyOfRange(data, 8192, 10_000), Arrays.copyOf(tail.array(), 10_000 - 8192));
            assertEquals(0, atEnd.result());
            assertEquals(0, beyond.result());
            assertEquals(10_000, all.result());
            byte[] got = new byte[10_000];
            whole.get(0, got);
            assertArrayEquals(data, got);
            assertEquals(0, empty.result());
        }
    }

    @Test
    void writesPastTheEndExtendTheFileWithZerosBetween() throws Exception {
        Path p = Files.write(dir.resolve("grow"), new byte[4096]);
        long beyond2G = (1L << 31) - 4096; // straddles 2 GiB: offsets are 64-bit all the way down
        long at5G = (5L << 30) + 12_345;
        byte[] a = pattern(1000, 1);
        byte[] b = pattern(8192, 2);
        byte[] c = pattern(8192, 3);
        try (HostFile file = HostFile.open(p, OpenMode.READ_WRITE)) {
            Outcome wa = write(file, ByteBuffer.wrap(a), 100_000);
            engine.submit();
            assertEquals(1000, wa.result());
            assertEquals(101_000, file.size());
            ByteBuffer gap = ByteBuffer.allocate(100_000 - 4096);
            ByteBuffer back = ByteBuffer.allocateDirect(2000);
            Outcome rg = read(file, gap, 4096);
            Outcome rb = read(file, back, 100_000);
            engine.submit();
            assertEquals(gap.capacity(), rg.result());
            assertArrayEquals(new byte[gap.capacity()], gap.array());
            assertEquals(1000, rb.result());
            byte[] got = new byte[1000];
            back.get(0, got);
            assertArrayEquals(a, got);

            Outcome wb = write(file, ByteBuffer.wrap(b), beyond2G);
            Outcome wc = write(file, ByteBuffer.allocateDirect(c.length).put(c).flip(), at5G);
            engine.submit();
            assertEquals(b.length, wb.result());
            assertEquals(c.length, wc.result());
            assertEquals(at5G + c.length, file.size());
            ByteBuffer rb2 = ByteBuffer.allocate(b.length);
            ByteBuffer rc2 = ByteBuffer.allocate(c.length + 100);
            Outcome r1 = read(file, rb2, beyond2G);
            Outcome r2 = read(file, rc2, at5G);
            engine.submit();
            assertEquals(b.length, r1.result());
            assertArrayEquals(b, rb2.array());
            assertEquals(c.length, r2.result());
            assertArrayEquals(c, Arrays.copyOf(rc2.array(), c.length));
        }
    }

    @Test
    void aWriteToAReadOnlyFileFailsThatRequestAloneAndNamesTheFile() throws Exception {
        byte[] data = pattern(8192, 5);
        Path p = Files.write(dir.resolve("ro"), data);
        try (HostFile file = HostFile.open(p, OpenMode.READ_ONLY)) {
            ByteBuffer before = ByteBuffer.allocate(4096);
            ByteBuffer after = ByteBuffer.allocateDirect(4096);
            Outcome r1 = read(file, before, 0);
            Outcome w = write(file, ByteBuffer.allocate(4096), 4096);
            Outcome r2 = read(file, after, 4096);
            Outcome sync = new Outcome();
            engine.datasync(file, sync);
            engine.submit();
            IOException e = w.error();
            assertTrue(e.getMessage().startsWith(p + ": write at offset 4096 refused: file is open read-only"),
                    e.getMessage());
            assertEquals(4096, r1.result());
            assertEquals(4096, r2.result());
            assertEquals(0, sync.result());
            assertArrayEquals(Arrays.copyOf(data, 4096), before.array());
        }
        assertArrayEquals(data, Files.readAllBytes(p));
    }

    @Test
    void aHostErrorNamesTheFileTheOffsetAndTheReason() throws Exception {
        Path full = Path.of("/dev/full"); // every write fails, every read succeeds
        assumeTrue(Files.isWritable(full), "/dev/full is not available here");
        try (HostFile file = HostFile.open(full, OpenMode.READ_WRITE)) {
            ByteBuffer dst = ByteBuffer.allocate(4096);
            dst.put(0, (byte) 1);
            Outcome w = write(file, ByteBuffer.wrap(pattern(4096, 6)), 8192);
            Outcome r = read(file, dst, 0);
            engine.submit();
            String message = w.error().getMessage();
            assertTrue(message.startsWith(full + ": write"), message);
            // The reason is the host's: ENOSPC, except that Linux AIO refuses char devices outright with EINVAL.
            assertTrue(message.matches(".* at offset 8192 failed: .*(No space left on device|Invalid argument).*"), message);
            assertEquals(4096, r.result());
            assertArrayEquals(new byte[4096], dst.array());
        }
    }

    @Test
    void completionsMayIssueMoreRequestsWithoutDeadlock() throws Exception {
        byte[] data = pattern(1 << 20, 7);
        Path p = Files.write(dir.resolve("chain"), data);
        int total = 400;
        AtomicInteger issued = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(total);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (HostFile file = HostFile.open(p, OpenMode.READ_WRITE)) {
            // Each completion issues two more (the way a bitmap flush chains datasync → write → datasync), so the
            // queue is soon full of requests issued from completions.
            IoCompletion[] chain = new IoCompletion[1];
            Runnable issue = () -> {
                int n = issued.getAndIncrement();
                if (n >= total) {
                    return;
                }
                int block = n % 256;
                if (n % 2 == 0) {
                    engine.write(file, ByteBuffer.wrap(data, block * 4096, 4096), block * 4096L, chain[0]);
                } else {
                    engine.read(file, ByteBuffer.allocate(4096), block * 4096L, chain[0]);
                }
                engine.submit();
            };
            chain[0] = (n, e) -> {
                if (e != null || n != 4096) {
                    failure.compareAndSet(null, e != null ? e : new AssertionError("moved " + n));
                }
                finished.countDown();
                issue.run();
                issue.run();
            };
            for (int i = 0; i < 4; i++) {
                issue.run();
            }
            assertTrue(finished.await(20, TimeUnit.SECONDS), "chained requests stalled at " + finished.getCount());
        }
        assertEquals(null, failure.get());
        assertArrayEquals(data, Files.readAllBytes(p));
    }

    @Test
    void closeWithRequestsInFlightCompletesOrFailsEachOneAndRefusesLaterOnes() throws Exception {
        Path p = Files.write(dir.resolve("closing"), pattern(1 << 20, 8));
        int total = 300;
        List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch halfway = new CountDownLatch(1);
        try (HostFile file = HostFile.open(p, OpenMode.READ_WRITE)) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<?> submitter = pool.submit(() -> {
                    for (int i = 0; i < total; i++) {
                        Outcome o = new Outcome();
                        outcomes.add(o);
                        long at = (i % 256) * 4096L;
                        if (i % 3 == 0) {
                            write(file, ByteBuffer.allocate(4096), at, o);
                        } else {
                            read(file, ByteBuffer.allocateDirect(4096), at, o);
                        }
                        if (i % 10 == 9) {
                            engine.submit();
                        }
                        if (i == total / 3) {
                            halfway.countDown();
                        }
                    }
                    engine.submit();
                    return null;
                });
                assertTrue(halfway.await(20, TimeUnit.SECONDS));
                pool.submit(engine::close).get(20, TimeUnit.SECONDS);
                submitter.get(20, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            int failed = 0;
            for (Outcome o : outcomes) {
                IOException e = o.errorOrNull();
                if (e != null) {
                    assertTrue(e.getMessage().contains("is closed"), e.getMessage());
                    failed++;
                }
            }
            assertEquals(total, outcomes.size());
            Outcome late = new Outcome();
            engine.read(file, ByteBuffer.allocate(10), 0, late);
            engine.submit();
            assertTrue(late.error().getMessage().startsWith(p + ": read at offset 0 refused: engine "), late.error().getMessage());
            assertTrue(failed < total, "close refused requests issued before it");
        }
    }

    private Outcome read(HostFile file, ByteBuffer dst, long at) {
        Outcome o = new Outcome();
        engine.read(file, dst, at, o);
        return o;
    }

    private Outcome write(HostFile file, ByteBuffer src, long at) {
        Outcome o = new Outcome();
        engine.write(file, src, at, o);
        return o;
    }

    private void read(HostFile file, ByteBuffer dst, long at, Outcome o) {
        engine.read(file, dst, at, o);
    }

    private void write(HostFile file, ByteBuffer src, long at, Outcome o) {
        engine.write(file, src, at, o);
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    @FunctionalInterface
    private interface Check {
        void run() throws Exception;
    }

    private static void check(Check check) {
        try {
            check.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
