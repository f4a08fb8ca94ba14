package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.ubdjvm.hostio.testing.Engines;

/**
 * Every engine under a long random load, the way a guest and the properties use them, until nothing is lost: a
 * request that never completes is the worst failure a block device has (it hangs the guest), and it hides from short
 * tests. Two parts, on files in {@code /dev/shm} where there is one (as the properties use), with odd sizes so reads
 * cross the end of file:
 * <ul>
 * <li>load: several threads share one engine and issue random reads, writes, fdatasyncs, punch-holes and empty
 *     requests, many in flight, with heap and direct buffers, reads past the end of file included; every
 *     completion must come exactly once, reads of a thread's own region must return what it wrote;</li>
 * <li>cycles: engines opened and closed over and over with requests in flight, the files reopened each time (so
 *     descriptor numbers are reused), closes on other threads while the next engine starts; every request must
 *     complete once, with its data or with the engine's "closed"/"abandoned" error.</li>
 * </ul>
 * Every wait is bounded: a request still owed after {@link #DEADLINE_SECONDS} fails the test with the seed and what
 * was still in flight. Totals (defaults; {@code -Dsoak.requests=N -Dsoak.cycles=N -Dsoak.seed=S} change them) are
 * shared out over the engines: at least 1 000 000 requests and 10 000 engine cycles in all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class EngineSoakTest {
    static final List<String> ENGINES = List.of("sync", "mmap", "io_uring", "aio");
    static final long REQUESTS = Long.getLong("soak.requests", 1_000_000);
    static final long CYCLES = Long.getLong("soak.cycles", 10_000);
    static final long SEED = Long.getLong("soak.seed", System.nanoTime());
    static final int DEADLINE_SECONDS = 20;
    static final int THREADS = 3;
    /** Requests one thread keeps in flight before it waits for the oldest. */
    static final int IN_FLIGHT = 24;
    static final int REGION = 256 << 10;

    private Path dir;
    private ExecutorService closers;

    @BeforeAll
    void makeDir() throws IOException {
        Path shm = Path.of("/dev/shm");
        dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "ubd-soak")
                : Files.createTempDirectory("ubd-soak");
        // Closing aio waits ~35 ms for an RCU grace period in io_destroy: closes overlap on a few threads, as the
        // properties do, which is also the pattern (close on one thread, open on another) this test is after.
        closers = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "soak-closer");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    void removeDir() throws Exception {
        closers.shutdown();
        assertTrue(closers.awaitTermination(60, TimeUnit.SECONDS), "engine closes still running after 60 s");
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    @Test
    void everyRequestCompletesExactlyOnceUnderRandomLoad() throws Exception {
        long total = 0;
        for (String name : ENGINES) {
            total += load(name, REQUESTS / ENGINES.size());
        }
        System.out.println("soak load: " + total + " requests over " + ENGINES + ", seed " + SEED);
        assertTrue(total >= REQUESTS, "ran " + total + " requests, wanted " + REQUESTS);
    }

    @Test
    void enginesOpenedAndClosedWithRequestsInFlightLoseNothing() throws Exception {
        long cycles = 0;
        long requests = 0;
        for (String name : ENGINES) {
            long[] done = cycles(name, CYCLES / ENGINES.size());
            cycles += done[0];
            requests += done[1];
        }
        System.out.println("soak cycles: " + cycles + " engine open/close cycles, " + requests
                + " requests in flight at close, seed " + SEED);
        assertTrue(cycles >= CYCLES, "ran " + cycles + " cycles, wanted " + CYCLES);
    }

    /** {@code requests} random requests on one engine from {@link #THREADS} threads; returns how many completed. */
    private long load(String name, long requests) throws Exception {
        IoEngine engine = Engines.open(name, 64);
        Path shared = dir.resolve(name + "-shared");
        Files.write(shared, new byte[REGION * THREADS + 4321]); // odd length: reads cross the end of file
        List<Future<Long>> workers = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (HostFile file = HostFile.open(shared, OpenMode.READ_WRITE)) {
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                workers.add(pool.submit(() -> new Submitter(engine, file, thread, new SplittableRandom(SEED + 31L * thread
                        + name.hashCode()), name).run(requests / THREADS + 1)));
            }
            long total = 0;
            for (Future<Long> w : workers) {
                total += w.get(5, TimeUnit.MINUTES);
            }
            return total;
        } finally {
            pool.shutdownNow();
            engine.close();
        }
    }

    /**
     * One submitting thread: its own region of the shared file, which it writes and reads back checked; reads
     * anywhere else (other threads' regions, past the end of file) are only checked for completing once.
     */
    private static final class Submitter {
        private final IoEngine engine;
        private final HostFile file;
        private final SplittableRandom rnd;
        private final String what;
        private final long regionStart;
        private final byte[] model = new byte[REGION];
        private final Request[] ring = new Request[IN_FLIGHT];
        /** A write or punch-hole of this thread may still be in flight: a checked read must wait for it first. */
        private boolean changing;

        Submitter(IoEngine engine, HostFile file, int thread, SplittableRandom rnd, String engineName) {
            this.engine = engine;
            this.file = file;
            this.rnd = rnd;
            this.what = engineName + " thread " + thread;
            this.regionStart = (long) thread * REGION;
            for (int i = 0; i < IN_FLIGHT; i++) {
                ring[i] = new Request();
            }
        }

        long run(long count) throws Exception {
            long issued = 0;
            int next = 0;
            while (issued < count) {
                Request r = ring[next];
                if (r.pending()) {
                    engine.submit();
                    r.await(what + ", seed " + SEED, engine);
                    r.check(model, regionStart);
                }
                issue(r);
                issued++;
                next = (next + 1) % IN_FLIGHT;
                if (rnd.nextInt(8) == 0) {
                    engine.submit();
                }
            }
            engine.submit();
            for (Request r : ring) {
                if (r.pending()) {
                    r.await(what + ", seed " + SEED, engine);
                    r.check(model, regionStart);
                }
            }
            return issued;
        }

        /**
         * A random request. Writes to the thread's own region wait for every earlier request to the same region:
         * overlapping requests in flight at once have no defined order on any engine, and the model could not say
         * which one wins.
         */
        private void issue(Request r) throws Exception {
            int kind = rnd.nextInt(100);
            boolean direct = rnd.nextBoolean();
            if (kind < 45) { // read of own region, checked
                if (changing) {
                    drain();
                }
                int len = length();
                long at = rnd.nextLong(REGION - len + 1);
                r.start(Request.Kind.CHECKED_READ, at, len, direct);
                engine.read(file, r.buffer, regionStart + at, r);
            } else if (kind < 65) { // read anywhere, past the end of file too
                int len = length();
                long at = rnd.nextLong(REGION * (long) THREADS + 8192);
                r.start(Request.Kind.READ, at, len, direct);
                engine.read(file, r.buffer, at, r);
            } else if (kind < 90) { // write of own region
                drain();
                int len = Math.max(1, length());
                long at = rnd.nextLong(REGION - len + 1);
                r.start(Request.Kind.WRITE, at, len, direct);
                byte stamp = (byte) rnd.nextInt(256);
                for (int i = 0; i < len; i++) {
                    r.buffer.put(i, (byte) (stamp + i));
                }
                r.buffer.get(0, model, (int) at, len);
                changing = true;
                engine.write(file, r.buffer, regionStart + at, r);
            } else if (kind < 94) {
                r.start(Request.Kind.SYNC, 0, 0, false);
                engine.datasync(file, r);
            } else if (kind < 97) { // empty read and write, at the end of file and past it
                long at = file.size() + rnd.nextInt(3) * 512L;
                r.start(Request.Kind.EMPTY, at, 0, direct);
                if (rnd.nextBoolean()) {
                    engine.read(file, r.buffer, at, r);
                } else {
                    engine.write(file, r.buffer, at, r);
                }
            } else { // punch a hole in own region
                drain();
                int len = 4096 * (1 + rnd.nextInt(4));
                long at = 4096L * rnd.nextInt((REGION - len) / 4096 + 1);
                r.start(Request.Kind.HOLE, at, len, false);
                Arrays.fill(model, (int) at, (int) at + len, (byte) 0);
                changing = true;
                engine.punchHole(file, regionStart + at, len, r);
            }
        }

        /** Sizes from 1 byte to 64 KiB, mostly sector multiples. */
        private int length() {
            return rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(65536) : 512 * (1 + rnd.nextInt(128));
        }

        private void drain() throws Exception {
            changing = false;
            engine.submit();
            for (Request other : ring) {
                if (other.pending()) {
                    other.await(what + ", seed " + SEED, engine);
                    other.check(model, regionStart);
                }
            }
        }
    }

    /** engine open/close cycles with requests in flight at each close; returns {cycles, requests}. */
    private long[] cycles(String name, long count) throws Exception {
        Random rnd = new Random(SEED ^ name.hashCode());
        Path[] files = new Path[4];
        for (int i = 0; i < files.length; i++) {
            byte[] content = new byte[65536 + rnd.nextInt(200 << 10)]; // odd sizes: the first read crosses the end
            rnd.nextBytes(content);
            files[i] = Files.write(dir.resolve(name + "-cycle-" + i), content);
        }
        List<Request> owed = new ArrayList<>();
        long requests = 0;
        for (long c = 0; c < count; c++) {
            IoEngine engine = Engines.open(name, 1 + rnd.nextInt(8));
            Path p = files[rnd.nextInt(files.length)];
            HostFile file = HostFile.open(p, OpenMode.READ_ONLY);
            int n = rnd.nextInt(6);
            for (int i = 0; i < n; i++) {
                Request r = new Request();
                long size = file.size();
                // the first request reads the whole file and past its end, as a disk's first full read does
                long at = i == 0 ? 0 : rnd.nextLong(size + 4096);
                int len = i == 0 ? (int) ((size + 511) / 512 * 512) : 1 + rnd.nextInt(32768);
                r.start(Request.Kind.READ, at, len, rnd.nextBoolean());
                engine.read(file, r.buffer, at, r);
                owed.add(r);
                requests++;
            }
            engine.submit();
            if (rnd.nextBoolean()) { // close while the kernel may still hold them
                closers.submit(() -> closeBoth(engine, file));
            } else {
                for (Request r : owed) {
                    r.await(name + " cycle " + c + ", seed " + SEED, engine);
                }
                closeBoth(engine, file);
            }
            if (owed.size() > 256) {
                awaitAll(owed, name, c);
            }
        }
        awaitAll(owed, name, count);
        return new long[] {count, requests};
    }

    private static void awaitAll(List<Request> owed, String name, long cycle) throws Exception {
        for (Request r : owed) {
            r.await(name + " by cycle " + cycle + ", seed " + SEED, null);
        }
        owed.clear();
    }

    /** Requests are reads of a file opened read-only: completing them after close with an error is allowed. */
    private static void closeBoth(IoEngine engine, HostFile file) {
        engine.close();
        try {
            file.close();
        } catch (HostIoException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One request and its completion; reused by a submitter once it has completed. */
    static final class Request implements IoCompletion {
        enum Kind { CHECKED_READ, READ, WRITE, SYNC, EMPTY, HOLE }

        private static final AtomicLong COMPLETIONS = new AtomicLong();
        private final Object lock = new Object();
        private Kind kind;
        private long at;
        private int length;
        private long issuedNanos;
        ByteBuffer buffer;
        private ByteBuffer heap;
        private ByteBuffer direct;
        private boolean pending;
        private int calls;
        private long result;
        private IOException error;

        void start(Kind k, long offset, int len, boolean useDirect) {
            kind = k;
            at = offset;
            length = len;
            if (useDirect) {
                if (direct == null || direct.capacity() < len) {
                    direct = ByteBuffer.allocateDirect(Math.max(len, 65536));
                }
                buffer = direct.clear().limit(len);
            } else {
                if (heap == null || heap.capacity() < len) {
                    heap = ByteBuffer.allocate(Math.max(len, 65536));
                }
                buffer = heap.clear().limit(len);
            }
            synchronized (lock) {
                pending = true;
                calls = 0;
                error = null;
            }
            issuedNanos = System.nanoTime();
        }

        boolean pending() {
            synchronized (lock) {
                return pending;
            }
        }

        @Override
        public void done(long n, IOException e) {
            synchronized (lock) {
                calls++;
                result = n;
                error = e;
                pending = false;
                lock.notifyAll();
            }
            COMPLETIONS.incrementAndGet();
        }

        /** Waits at most the deadline; fails naming the request, its age and the context. */
        void await(String context, IoEngine engine) throws InterruptedException {
            long deadline = issuedNanos + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
            synchronized (lock) {
                while (pending) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        fail("request never completed (" + context + "): " + this + " issued "
                                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - issuedNanos) + " ms ago"
                                + (engine == null ? "" : " on " + engine.name()));
                    }
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
                assertEquals(1, calls, "completion calls for " + this);
            }
        }

        /** A checked read returns the model's bytes; every other request only had to complete, errors aside. */
        void check(byte[] model, long regionStart) {
            if (error != null) {
                if (kind == Kind.EMPTY) {
                    return; // an empty request past the end may be refused; it must only complete
                }
                throw new AssertionError(this + " failed", error);
            }
            if (kind == Kind.CHECKED_READ) {
                assertEquals(length, result, "bytes read for " + this);
                for (int i = 0; i < length; i++) {
                    if (buffer.get(i) != model[(int) at + i]) {
                        fail(this + " in region at " + regionStart + ": byte " + i + " is " + buffer.get(i)
                                + ", wrote " + model[(int) at + i] + ", seed " + SEED);
                    }
                }
            }
        }

        @Override
        public String toString() {
            return kind + " of " + length + " bytes at " + at + (buffer != null && buffer.isDirect() ? " (direct)" : "");
        }
    }
}
