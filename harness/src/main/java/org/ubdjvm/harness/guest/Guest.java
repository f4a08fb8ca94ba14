package org.ubdjvm.harness.guest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;
import org.HdrHistogram.ConcurrentHistogram;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.harness.OutOfMemory;
import org.ubdjvm.queue.RequestOp;
import org.ubdjvm.queue.RequestTimeoutException;

/**
 * The JVM guest: submitter threads that keep {@code queueDepth} requests in flight each, through the devices' rings.
 * Each thread owns a disjoint region of its device, so the model of what every block must hold is exact: a block is
 * never read or written while a write to it is in flight, reads of never-written blocks must match the checksum
 * taken before the run, and written blocks must hold the generation of the last completed write.
 *
 * <p>No wait is without a bound. A request that times out (the device's request timeout, ETIMEDOUT) stops the run:
 * the threads stop submitting, and {@link #run} throws that request's one-line error, as a real guest's I/O error
 * would end its job. A completion that does not come even then (a broken ring) stops it too, with the device's
 * in-flight dump. So does the first other host error (ENOSPC, EIO: the file, offset and errno name are in its one
 * line), a journal that cannot be written, and running out of memory, unless asked to continue on errors: then
 * host errors are counted (a timeout still stops the run).
 */
public final class Guest {
    private static final int MAX_PROBLEMS = 5;

    private final List<UbdDevice> devices;
    private final WorkloadSpec spec;
    private final ConcurrentHistogram latency = new ConcurrentHistogram(3);
    private final AtomicLong mismatches = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong verified = new AtomicLong();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());

    private final DurableJournal journal;
    private final boolean continueOnError;
    /** Records each workload request (not the verifier's own reads), or null. */
    private final TraceRecorder trace;
    /** Self-describing data: to check reads, or so a replay of the trace writes the same bytes (an iolog has none). */
    private final boolean fillVerified;
    /** The first failure that ends the run (see the class comment); {@link #run} throws it. */
    private final AtomicReference<IOException> lost = new AtomicReference<>();

    public Guest(List<UbdDevice> devices, WorkloadSpec spec) {
        this(devices, spec, null, false);
    }

    /**
     * With {@code journalFile}, what each completed flush made durable is recorded there (for kill tests); check it
     * first with {@link #checkJournal}. With {@code continueOnError}, host errors are counted instead of ending the
     * run.
     */
    public Guest(List<UbdDevice> devices, WorkloadSpec spec, java.nio.file.Path journalFile, boolean continueOnError) {
        this(devices, spec, journalFile, continueOnError, null);
    }

    /**
     * As {@link #Guest(List, WorkloadSpec, java.nio.file.Path, boolean)}, recording every workload request in
     * {@code trace} (device index = position in {@code devices}). A traced run writes self-describing blocks, with
     * or without verify, so {@code ubd replay} of the trace writes the very same bytes.
     */
    public Guest(List<UbdDevice> devices, WorkloadSpec spec, java.nio.file.Path journalFile, boolean continueOnError,
            TraceRecorder trace) {
        this.devices = devices;
        this.spec = spec;
        this.continueOnError = continueOnError;
        this.trace = trace;
        this.fillVerified = spec.verify() || trace != null;
        long[] blocks = new long[devices.size()];
        for (int d = 0; d < blocks.length; d++) {
            blocks[d] = devices.get(d).capacity() / spec.blockSize();
        }
        for (int d = 0; d < blocks.length && journalFile != null; d++) {
            if (blocks[d] / Math.max(1, threadsFor(d)) > BlockBook.DENSE_BLOCKS) {
                throw new java.io.UncheckedIOException(new IOException(journalFile + ": --journal keeps every block's"
                        + " generation, at most " + BlockBook.DENSE_BLOCKS + " blocks per thread; "
                        + devices.get(d).name() + " has " + blocks[d] + ": use more --threads or a larger --bs"));
            }
        }
        this.journal = journalFile == null ? null : new DurableJournal(journalFile, spec.blockSize(), blocks);
    }

    public RunResult run() throws IOException, InterruptedException {
        List<Submitter> submitters = new ArrayList<>();
        for (int d = 0; d < devices.size(); d++) {
            UbdDevice device = devices.get(d);
            int threads = threadsFor(d);
            long blocks = device.capacity() / spec.blockSize();
            if (blocks < threads) {
                throw new IOException(device.name() + ": " + device.capacity() + " bytes is too small for "
                        + threads + " threads of " + spec.blockSize() + "-byte blocks");
            }
            // a large disk cannot be read whole first: its never-written blocks are checked against their first read
            int[] baseline = spec.verify() && blocks / threads <= BlockBook.DENSE_BLOCKS ? baseline(device) : null;
            for (int t = 0; t < threads; t++) {
                long from = blocks * t / threads;
                long to = blocks * (t + 1) / threads;
                submitters.add(new Submitter(device, d, from, to, baseline, spec.seed() * 31 + submitters.size()));
            }
        }
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (Submitter s : submitters) {
            Thread t = new Thread(s, "guest-" + threads.size());
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join(spec.duration().plus(longestBackstop().multipliedBy(3)).toMillis());
            if (t.isAlive()) {
                stop(new IOException("guest thread " + t.getName() + " did not finish; in flight: " + inFlight()));
            }
        }
        IOException timedOut = lost.get();
        if (timedOut != null) {
            throw timedOut;
        }
        long elapsed = System.nanoTime() - start;
        long reads = 0;
        long writes = 0;
        long flushes = 0;
        for (Submitter s : submitters) {
            reads += s.reads;
            writes += s.writes;
            flushes += s.flushes;
        }
        return new RunResult(reads, writes, flushes, (reads + writes) * spec.blockSize(), elapsed,
                latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0,
                latency.getValueAtPercentile(99.9) / 1000.0, verified.get(), mismatches.get(), errors.get(),
                List.copyOf(problems));
    }

    /** Refuses a journal file that cannot be written, before any workload: not after the whole run. */
    public static void checkJournal(java.nio.file.Path journalFile) throws IOException {
        DurableJournal.checkWritable(journalFile);
    }

    private java.time.Duration longestBackstop() {
        return devices.stream().map(Sync::backstop).max(java.time.Duration::compareTo).orElseThrow();
    }

    /** Stops the run; the first reason given is the one {@link #run} throws. */
    private void stop(IOException why) {
        lost.compareAndSet(null, why);
    }

    private String inFlight() {
        StringBuilder out = new StringBuilder();
        for (UbdDevice d : devices) {
            String one = d.describeInFlight();
            out.append(one.isEmpty() ? "" : (out.length() == 0 ? "" : "\n") + one);
        }
        return out.length() == 0 ? "nothing" : out.toString();
    }

    private int threadsFor(int device) {
        int n = devices.size();
        return spec.threads() / n + (device < spec.threads() % n ? 1 : 0);
    }

    /** CRC32C of every block before the run: what a block the guest never wrote must still read. */
    private int[] baseline(UbdDevice device) throws IOException, InterruptedException {
        int blocks = (int) (device.capacity() / spec.blockSize());
        int[] crcs = new int[blocks];
        ByteBuffer buf = alignedBlock();
        for (int b = 0; b < blocks; b++) {
            buf.clear();
            IOException e = Sync.call(device, RequestOp.READ, (long) b * spec.blockSize(), buf);
            if (e != null) {
                throw e;
            }
            crcs[b] = crc(buf);
        }
        return crcs;
    }

    /** One block of direct memory on a 4096-byte boundary: O_DIRECT layers (--direct, O) take no other. */
    private ByteBuffer alignedBlock() {
        int bs = spec.blockSize();
        return ByteBuffer.allocateDirect((bs + 4095) / 4096 * 4096 + 4096).alignedSlice(4096).slice(0, bs);
    }

    private static int crc(ByteBuffer buf) {
        CRC32C c = new CRC32C();
        c.update(buf.duplicate().clear());
        return (int) c.getValue();
    }

    private void problem(String what) {
        if (problems.size() < MAX_PROBLEMS) {
            problems.add(what);
        }
    }

    /** One submitter thread over blocks {@code [from, to)} of one device. */
    private final class Submitter implements Runnable {
        private final UbdDevice device;
        private final int deviceIndex;
        private final long from;
        private final long to;
        private final int[] baseline;
        private final SplittableRandom random;
        private final Semaphore slots = new Semaphore(spec.queueDepth());
        private final ByteBuffer[] buffers = new ByteBuffer[spec.queueDepth()];
        private final boolean[] bufferBusy = new boolean[spec.queueDepth()];
        /** Generation of the last completed write per block; only touched with the block not in flight. */
        private final BlockBook book;
        private long reads;
        private long writes;
        private long flushes;
        private long next;

        Submitter(UbdDevice device, int deviceIndex, long from, long to, int[] baseline, long seed) {
            this.device = device;
            this.deviceIndex = deviceIndex;
            this.from = from;
            this.to = to;
            this.baseline = baseline;
            this.random = new SplittableRandom(seed);
            this.book = new BlockBook(from, to);
            this.next = from;
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = alignedBlock();
            }
        }

        @Override
        public void run() {
            long deadline = System.nanoTime() + spec.duration().toNanos();
            long ops = 0;
            long writesSinceFlush = 0;
            try {
                while (System.nanoTime() < deadline && (spec.maxOps() == 0 || ops < spec.maxOps())
                        && lost.get() == null) {
                    if (!take(1)) {
                        return;
                    }
                    if (spec.flushEvery() > 0 && writesSinceFlush >= spec.flushEvery()) {
                        writesSinceFlush = 0;
                        flush();
                        continue;
                    }
                    long block = pickBlock();
                    if (block < 0) {
                        slots.release();
                        Thread.onSpinWait();
                        continue;
                    }
                    boolean read = random.nextInt(100) < spec.readPercent();
                    submit(block, read);
                    ops++;
                    if (!read) {
                        writesSinceFlush++;
                    }
                }
                if (!take(spec.queueDepth())) { // everything in flight has completed
                    return;
                }
                if (lost.get() != null) {
                    return; // no final flush: the run failed
                }
                slots.release(spec.queueDepth() - 1);
                flush();
                take(spec.queueDepth());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (OutOfMemoryError e) {
                stop(new IOException(device.spec().file() + " (" + device.name() + "): " + OutOfMemory.advice(e)));
            }
        }

        /**
         * Takes {@code n} queue slots, waiting at most past the device's request timeout; false when they did not
         * come back even then (the run is stopped with what the device holds).
         */
        private boolean take(int n) throws InterruptedException {
            if (slots.tryAcquire(n, Sync.backstop(device).toNanos(), TimeUnit.NANOSECONDS)) {
                return true;
            }
            stop(new IOException(device.name() + ": no completion within " + Sync.backstop(device).toSeconds()
                    + " s, not even ETIMEDOUT; in flight: " + device.describeInFlight()));
            return false;
        }

        /** A host error ends the run, unless asked to continue; a timed-out request ends it whatever was asked. */
        private void failed(IOException e, String what) {
            if (!continueOnError || e instanceof RequestTimeoutException) {
                stop(e);
            }
            errors.incrementAndGet();
            problem(what + " failed: " + e.getMessage());
        }

        private long pickBlock() {
            synchronized (this) {
                for (int tries = 0; tries < 8; tries++) {
                    long b = spec.random() ? from + random.nextLong(to - from) : next;
                    if (!spec.random()) {
                        next = next + 1 == to ? from : next + 1;
                    }
                    if (book.claim(b)) {
                        return b;
                    }
                }
                return -1;
            }
        }

        private void submit(long block, boolean read) {
            int slot = takeBuffer();
            ByteBuffer buf = buffers[slot];
            buf.clear();
            int gen;
            synchronized (this) {
                gen = book.generation(block) + (read ? 0 : 1);
            }
            if (read) {
                reads++;
            } else {
                writes++;
                if (fillVerified) {
                    VerifiedBlock.fill(buf, deviceIndex, block * spec.blockSize() / VerifiedBlock.SECTOR, gen);
                }
            }
            if (trace != null) {
                trace.record(deviceIndex, read ? RequestOp.READ : RequestOp.WRITE, block * spec.blockSize(),
                        spec.blockSize());
            }
            long started = System.nanoTime();
            device.submit(read ? RequestOp.READ : RequestOp.WRITE, block * spec.blockSize(), buf, (r, e) -> {
                latency.recordValue(System.nanoTime() - started);
                if (e != null) {
                    failed(e, (read ? "read" : "write") + " of block " + block);
                } else if (read && spec.verify()) {
                    check(block, gen, buf);
                }
                synchronized (this) {
                    book.completed(block, !read && e == null ? gen : -1);
                    bufferBusy[slot] = false;
                }
                slots.release();
            });
        }

        private synchronized int takeBuffer() {
            for (int i = 0; i < bufferBusy.length; i++) {
                if (!bufferBusy[i]) {
                    bufferBusy[i] = true;
                    return i;
                }
            }
            throw new IllegalStateException("no free buffer with a queue slot held");
        }

        private void check(long block, int expected, ByteBuffer buf) {
            long firstSector = block * spec.blockSize() / VerifiedBlock.SECTOR;
            if (expected == 0) {
                boolean same;
                synchronized (this) {
                    same = baseline != null ? crc(buf) == baseline[(int) block] : book.sameAsFirstRead(block, crc(buf));
                }
                if (!same) {
                    mismatches.incrementAndGet();
                    problem(device.name() + " block " + block + ": never written, but no longer reads as before the run");
                }
                verified.addAndGet(spec.blockSize() / VerifiedBlock.SECTOR);
                return;
            }
            for (int i = 0; i < spec.blockSize() / VerifiedBlock.SECTOR; i++) {
                long got = VerifiedBlock.generationOf(buf, i * VerifiedBlock.SECTOR, deviceIndex, firstSector + i);
                if (got != expected) {
                    mismatches.incrementAndGet();
                    problem(device.name() + " sector " + (firstSector + i) + ": expected generation " + expected
                            + ", found " + (got < 0 ? "corrupt data" : got == 0 ? "unwritten data" : "generation " + got));
                }
                verified.incrementAndGet();
            }
        }

        private void flush() throws InterruptedException {
            flushes++;
            int[] covered;
            synchronized (this) {
                covered = journal == null ? null : book.generations(); // completed writes: what this flush covers
            }
            if (trace != null) {
                trace.record(deviceIndex, RequestOp.FLUSH, 0, 0);
            }
            device.submit(RequestOp.FLUSH, 0, null, (r, e) -> {
                if (e != null) {
                    failed(e, "flush");
                } else if (covered != null) {
                    try {
                        journal.commit(deviceIndex, from, covered);
                    } catch (IOException je) {
                        stop(je); // the journal is the run's promise to a checker: without it, stop
                        errors.incrementAndGet();
                        problem("journal write failed: " + je.getMessage());
                    }
                }
                slots.release();
            });
        }
    }
}
