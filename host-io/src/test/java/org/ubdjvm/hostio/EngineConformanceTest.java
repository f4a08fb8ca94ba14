package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * over every Directory), with files opened buffered and again O_DIRECT. Engines differ in speed and threads, never
 * in what a caller sees.
 *
 * <p>So that the same tests are legal under O_DIRECT, every request here has an offset and a length that are
 * multiples of {@link DirectSupport#PAGE}, and every direct buffer starts on a page ({@link #aligned}). Heap buffers
 * stay in the mix because they are legal on both (engines bounce them through aligned memory). Files themselves
 * need not end on a page: a read crossing an unaligned end of file is short on both.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class EngineConformanceTest {
    static final int PAGE = DirectSupport.PAGE;

    @TempDir
    Path dir;

    IoEngine engine;

    /** A fresh engine of the kind under test. Async engines use a small queue so back-pressure is exercised. */
    abstract IoEngine newEngine() throws IOException;

    /** True in the subclasses that run the suite on files opened O_DIRECT. */
    boolean direct() {
        return false;
    }

    /** Every open in the suite goes through here, so that one flag switches the whole suite to O_DIRECT. */
    final OpenMode mode(OpenMode m) {
        return m.withDirect(direct());
    }

    @BeforeEach
    void openEngine() throws IOException {
        if (direct()) {
            DirectSupport.require(dir);
        }
        engine = newEngine();
    }

    @AfterEach
    void closeEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    /** {@code size} bytes of direct memory starting on a page, capacity exactly {@code size}. */
    static ByteBuffer aligned(int size) {
        return ByteBuffer.allocateDirect(size + PAGE).alignedSlice(PAGE).slice(0, size);
    }

    @Test
    void randomReadsWritesAndDatasyncsMatchAModelOfTheFile() throws Exception {
        Random random = new Random(4);
        int cell = 64 << 10;
        int cells = 64; // the file may grow to 4 MiB from 256 KiB
        int pages = cell / PAGE / 2; // a request starts in its cell's first half and ends inside the cell
        byte[] model = new byte[cell * cells];
        random.nextBytes(model);
        int[] size = {(256 << 10) + 1000}; // not a whole page: reads crossing the end come back short
        Arrays.fill(model, size[0], model.length, (byte) 0);
        Path p = Files.write(dir.resolve("model"), Arrays.copyOf(model, size[0]));
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < cells; i++) {
            order.add(i);
        }
        try (HostFile file = HostFile.open(p, mode(OpenMode.READ_WRITE))) {
            for (int batch = 0; batch < 60; batch++) {
                // One batch is all writes or all reads, each in a cell of its own: requests in flight together
                // complete in any order, and the model must not depend on it.
                boolean writes = random.nextBoolean();
                Collections.shuffle(order, random);
                List<Runnable> checks = new ArrayList<>();
                for (int c : order.subList(0, 1 + random.nextInt(12))) {
                    long offset = (long) c * cell + (long) random.nextInt(pages) * PAGE;
                    int length = (1 + random.nextInt(pages)) * PAGE;
                    // Requests start at the buffer's position, not at 0: any slack for heap, a page for direct.
                    boolean heap = random.nextBoolean();
                    int slack = heap ? random.nextInt(8) : random.nextInt(2) * PAGE;
                    ByteBuffer buffer = heap ? ByteBuffer.allocate(slack + length) : aligned(slack + length);
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
        int block = PAGE;
        Path p = dir.resolve("threads");
        List<Outcome> all = Collections.synchronizedList(new ArrayList<>());
        byte[][] models = new byte[threads][blocks * block];
        try (HostFile file = HostFile.open(p, mode(OpenMode.CREATE_NEW))) {
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
            ByteBuffer src = thread % 2 == 0 ? ByteBuffer.allocate(block) : aligned(block);
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
            ByteBuffer dst = thread % 2 == 1 ? ByteBuffer.allocate(block) : aligned(block);
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
        byte[] data = pattern(10_000, 1); // ends 1808 bytes into its third page
        Path p = Files.write(dir.resolve("short"), data);
        try (HostFile file = HostFile.open(p, mode(OpenMode.READ_ONLY))) {
            ByteBuffer tail = ByteBuffer.allocate(PAGE);
            ByteBuffer whole = aligned(73 * PAGE); // 299 008 bytes for a 10 000-byte file
            Outcome crossing = read(file, tail, 2 * PAGE);
            Outcome pastEnd = read(file, aligned(PAGE), 3 * PAGE); // the first page wholly past the end
            Outcome beyond = read(file, ByteBuffer.allocate(PAGE), 1 << 20);
            Outcome all = read(file, whole, 0);
            Outcome empty = read(file, ByteBuffer.allocate(0), 0);
            engine.submit();
            assertEquals(10_000 - 2 * PAGE, crossing.result());
            assertEquals(10_000 - 2 * PAGE, tail.position());
            assertArrayEquals(Arrays.copyOfRange(data, 2 * PAGE, 10_000), Arrays.copyOf(tail.array(), 10_000 - 2 * PAGE));
            assertEquals(0, pastEnd.result());
            assertEquals(0, beyond.result());
            assertEquals(10_000, all.result());
            assertEquals(10_000, whole.position());
            byte[] got = new byte[10_000];
            whole.get(0, got);
            assertArrayEquals(data, got);
            assertEquals(0, empty.result());
        }
    }

    @Test
    void writesPastTheEndExtendTheFileWithZerosBetween() throws Exception {
        Path p = Files.write(dir.resolve("grow"), new byte[PAGE]);
        long atA = 25 * PAGE; // 100 KiB: far past the end
        long beyond2G = (1L << 31) - PAGE; // straddles 2 GiB: offsets are 64-bit all the way down
        long at5G = (5L << 30) + 3 * PAGE;
        byte[] a = pattern(PAGE, 1);
        byte[] b = pattern(2 * PAGE, 2);
        byte[] c = pattern(2 * PAGE, 3);
        try (HostFile file = HostFile.open(p, mode(OpenMode.READ_WRITE))) {
            Outcome wa = write(file, ByteBuffer.wrap(a), atA);
            engine.submit();
            assertEquals(PAGE, wa.result());
            assertEquals(atA + PAGE, file.size());
            ByteBuffer gap = ByteBuffer.allocate((int) atA - PAGE);
            ByteBuffer back = aligned(2 * PAGE);
            Outcome rg = read(file, gap, PAGE);
            Outcome rb = read(file, back, atA); // the file now ends half way through it
            Outcome atEnd = read(file, aligned(PAGE), atA + PAGE);
            engine.submit();
            assertEquals(gap.capacity(), rg.result());
            assertArrayEquals(new byte[gap.capacity()], gap.array());
            assertEquals(PAGE, rb.result());
            byte[] got = new byte[PAGE];
            back.get(0, got);
            assertArrayEquals(a, got);
            assertEquals(0, atEnd.result());

            Outcome wb = write(file, ByteBuffer.wrap(b), beyond2G);
            Outcome wc = write(file, aligned(c.length).put(c).flip(), at5G);
            engine.submit();
            assertEquals(b.length, wb.result());
            assertEquals(c.length, wc.result());
            assertEquals(at5G + c.length, file.size());
            ByteBuffer rb2 = ByteBuffer.allocate(b.length);
            ByteBuffer rc2 = ByteBuffer.allocate(c.length + PAGE);
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
        byte[] data = pattern(2 * PAGE, 5);
        Path p = Files.write(dir.resolve("ro"), data);
        try (HostFile file = HostFile.open(p, mode(OpenMode.READ_ONLY))) {
            ByteBuffer before = ByteBuffer.allocate(PAGE);
            ByteBuffer after = aligned(PAGE);
            Outcome r1 = read(file, before, 0);
            Outcome w = write(file, ByteBuffer.allocate(PAGE), PAGE);
            Outcome r2 = read(file, after, PAGE);
            Outcome sync = new Outcome();
            engine.datasync(file, sync);
            engine.submit();
            IOException e = w.error();
            assertTrue(e.getMessage().startsWith(p + ": write at offset 4096 refused: file is open read-only"),
                    e.getMessage());
            assertEquals(PAGE, r1.result());
            assertEquals(PAGE, r2.result());
            assertEquals(0, sync.result());
            assertArrayEquals(Arrays.copyOf(data, PAGE), before.array());
            byte[] got = new byte[PAGE];
            after.get(0, got);
            assertArrayEquals(Arrays.copyOfRange(data, PAGE, 2 * PAGE), got);
        }
        assertArrayEquals(data, Files.readAllBytes(p));
    }

    /**
     * The host itself refuses a write whose end overflows the 64-bit file offset (EINVAL, from the VFS, whatever the
     * filesystem and with or without O_DIRECT); the requests beside it in the same batch still succeed. (ENOSPC from
     * /dev/full is in {@link DeviceErrorTest}: a character device cannot be opened O_DIRECT.)
     */
    @Test
    void aHostErrorFailsThatRequestAloneAndNamesTheFileTheOffsetAndTheReason() throws Exception {
        byte[] data = pattern(2 * PAGE, 6);
        byte[] update = pattern(PAGE, 7);
        Path p = Files.write(dir.resolve("refuses"), data);
        long impossible = Long.MAX_VALUE - (PAGE - 1); // page aligned, and offset + length is 2^63
        try (HostFile file = HostFile.open(p, mode(OpenMode.READ_WRITE))) {
            ByteBuffer dst = aligned(PAGE);
            Outcome r = read(file, dst, 0);
            Outcome w = write(file, aligned(PAGE), impossible);
            Outcome ok = write(file, ByteBuffer.wrap(update), PAGE);
            engine.submit();
            String message = w.error().getMessage();
            assertTrue(message.startsWith(p + ": write"), message);
            assertTrue(message.matches(".* at offset " + impossible + " failed: .*Invalid argument.*"), message);
            assertEquals(PAGE, r.result());
            byte[] got = new byte[PAGE];
            dst.get(0, got);
            assertArrayEquals(Arrays.copyOf(data, PAGE), got);
            assertEquals(PAGE, ok.result());
            assertEquals(2L * PAGE, file.size(), "the refused write moved the end of file");
        }
        byte[] expected = Arrays.copyOf(data, 2 * PAGE);
        System.arraycopy(update, 0, expected, PAGE, PAGE);
        assertArrayEquals(expected, Files.readAllBytes(p));
    }

    @Test
    void completionsMayIssueMoreRequestsWithoutDeadlock() throws Exception {
        byte[] data = pattern(1 << 20, 7);
        Path p = Files.write(dir.resolve("chain"), data);
        int total = 400;
        AtomicInteger issued = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(total);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (HostFile file = HostFile.open(p, mode(OpenMode.READ_WRITE))) {
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
                    engine.write(file, ByteBuffer.wrap(data, block * PAGE, PAGE), block * (long) PAGE, chain[0]);
                } else {
                    engine.read(file, n % 4 == 1 ? aligned(PAGE) : ByteBuffer.allocate(PAGE), block * (long) PAGE, chain[0]);
                }
                engine.submit();
            };
            chain[0] = (n, e) -> {
                if (e != null || n != PAGE) {
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
        try (HostFile file = HostFile.open(p, mode(OpenMode.READ_WRITE))) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<?> submitter = pool.submit(() -> {
                    for (int i = 0; i < total; i++) {
                        Outcome o = new Outcome();
                        outcomes.add(o);
                        long at = (i % 256) * (long) PAGE;
                        if (i % 3 == 0) {
                            write(file, ByteBuffer.allocate(PAGE), at, o);
                        } else {
                            read(file, aligned(PAGE), at, o);
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
            engine.read(file, ByteBuffer.allocate(PAGE), 0, late);
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
