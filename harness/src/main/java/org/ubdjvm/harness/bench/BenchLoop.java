package org.ubdjvm.harness.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * fio's closed loop on one thread: keep {@code iodepth} requests in flight, start every free slot, submit the batch
 * once, wait for completions, record their latency, repeat until the deadline. Latency runs from just before a
 * request is started to when its completion ran (fio's clat plus submission, i.e. what a caller waits).
 *
 * <p>Nothing is allocated per request: slots, buffers, completions and the histogram are made before the clock
 * starts, and the random offsets come from a {@link SplittableRandom}.
 */
final class BenchLoop {
    /** Longest latency the histogram tracks; anything slower is recorded as this. */
    private static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(60);
    /**
     * A completion that has not come in this long ends the run (ETIMEDOUT, with what the host holds) instead of
     * waiting forever: longer than a device's request timeout, which fails a stuck request by itself.
     */
    private static final long NO_COMPLETION_NANOS = MAX_LATENCY_NANOS;
    /** Polls between clock reads while spinning. */
    private static final int POLLS_PER_CLOCK = 32;
    private static final byte FILL = (byte) 0x5a;

    /** Wakes the submitter when it parked waiting for a completion. */
    static final class Waiter {
        private final Thread submitter = Thread.currentThread();
        private volatile boolean parked;

        /**
         * Completer side. The completer increments the pending count before reading {@code parked}, the submitter
         * sets {@code parked} before re-reading the count: with volatile accesses one of them sees the other, so a
         * completion is never missed.
         */
        void wake() {
            if (parked) {
                LockSupport.unpark(submitter);
            }
        }
    }

    private final BenchIo io;
    private final BenchSpec spec;
    private final AtomicInteger pending = new AtomicInteger();
    private final Waiter waiter = new Waiter();
    private final BenchSlot[] slots;
    private final int[] free;
    private int freeCount;
    private final Histogram latency = new Histogram(MAX_LATENCY_NANOS, 3);
    private final SplittableRandom random;
    private final long spinNanos;
    private long nextBlock;
    /** Set from another thread to end the run before its deadline (the snapshot bench ends when its snapshots do). */
    private volatile boolean stopped;

    /** Must be made on the thread that will call {@link #run}; polls {@code spinNanos} before parking for completions. */
    BenchLoop(BenchIo io, BenchSpec spec, long seed, long spinNanos) {
        this.io = io;
        this.spec = spec;
        this.spinNanos = spinNanos;
        this.random = new SplittableRandom(seed);
        this.slots = new BenchSlot[spec.iodepth()];
        this.free = new int[spec.iodepth()];
        for (int i = 0; i < slots.length; i++) {
            // page-aligned, as O_DIRECT will want, and as fio's buffers are
            ByteBuffer b = ByteBuffer.allocateDirect(spec.blockSize() + 4096).alignedSlice(4096)
                    .limit(spec.blockSize()).slice();
            for (int j = 0; j < b.capacity(); j++) {
                b.put(j, FILL);
            }
            slots[i] = new BenchSlot(i, b, pending, waiter);
            free[freeCount++] = slots.length - 1 - i;
        }
    }

    /** Ends the run early: no request starts after this, the ones in flight are waited for. Any thread. */
    void stop() {
        stopped = true;
    }

    /** Runs the ramp, then the measured time; returns what was measured. An I/O error ends the run as an IOException. */
    BenchResult run() throws IOException {
        boolean write = spec.rw().writes();
        long rampEnd = System.nanoTime() + spec.ramp().toNanos();
        long deadline = rampEnd + spec.runtime().toNanos();
        boolean measuring = spec.ramp().isZero();
        long start = System.nanoTime();
        long ops = 0;
        long errors = 0;
        IOException firstError = null;
        long cpuStart = processCpuNanos();
        long allocStart = AllocationMeter.allocatedBytes();
        int inFlight = 0;
        while (true) {
            long now = System.nanoTime();
            if (!measuring && now >= rampEnd) {
                measuring = true;
                latency.reset();
                ops = 0;
                start = now;
                cpuStart = processCpuNanos();
                allocStart = AllocationMeter.allocatedBytes();
            }
            boolean ending = now >= deadline || stopped;
            if (!ending && freeCount > 0) {
                long startedAt = now; // the first of a batch starts now, later ones when their turn comes
                while (freeCount > 0) {
                    BenchSlot slot = slots[free[--freeCount]];
                    slot.buffer.clear();
                    slot.state = BenchSlot.IN_FLIGHT;
                    slot.startedAt = startedAt;
                    inFlight++;
                    io.start(write, nextOffset(), slot.buffer, slot);
                    if (freeCount > 0) {
                        startedAt = System.nanoTime();
                    }
                }
                io.submit();
            } else if (ending && inFlight == 0) {
                break;
            }
            awaitCompletion(inFlight);
            int reaped = 0;
            for (BenchSlot slot : slots) {
                if (slot.done()) {
                    slot.state = BenchSlot.FREE;
                    free[freeCount++] = slot.index;
                    reaped++;
                    if (slot.error != null) {
                        errors++;
                        firstError = firstError == null ? slot.error : firstError;
                        slot.error = null;
                    } else if (measuring) {
                        latency.recordValue(Math.min(slot.doneAt - slot.startedAt, MAX_LATENCY_NANOS));
                        ops++;
                    }
                }
            }
            inFlight -= reaped;
            // A slot can be seen DONE before its completer counted it; the count then dips below zero and comes
            // back when that completer increments, so every completion is still waited for exactly once.
            pending.addAndGet(-reaped);
        }
        long elapsed = System.nanoTime() - start;
        double cpu = cpuStart < 0 ? Double.NaN : processCpuNanos() - cpuStart;
        long allocEnd = AllocationMeter.allocatedBytes();
        if (firstError != null) {
            throw new IOException(firstError.getMessage() + (errors > 1 ? " (and " + (errors - 1) + " more errors)" : ""),
                    firstError);
        }
        return new BenchResult("ubd", ops, ops * spec.blockSize(), elapsed, micros(50), micros(99), micros(99.9),
                cpu, BenchResult.CURVE.stream().map(this::micros).toList(),
                AllocationMeter.perOp(allocStart, allocEnd, ops));
    }

    private long nextOffset() {
        long block;
        if (spec.rw().random()) {
            block = random.nextLong(spec.blocks());
        } else {
            block = nextBlock;
            nextBlock = nextBlock + 1 == spec.blocks() ? 0 : nextBlock + 1;
        }
        return block * spec.blockSize();
    }

    private void awaitCompletion(int inFlight) throws IOException {
        if (pending.get() > 0) {
            return;
        }
        if (spinNanos > 0) {
            long until = System.nanoTime() + spinNanos;
            do {
                for (int i = 0; i < POLLS_PER_CLOCK; i++) {
                    if (pending.get() > 0) {
                        return;
                    }
                    Thread.onSpinWait();
                }
            } while (System.nanoTime() < until);
        }
        long since = System.nanoTime();
        while (pending.get() <= 0) {
            if (System.nanoTime() - since > NO_COMPLETION_NANOS && inFlight > 0) {
                throw new IOException("none of " + inFlight + " requests in flight completed in "
                        + TimeUnit.NANOSECONDS.toSeconds(NO_COMPLETION_NANOS) + " s: ETIMEDOUT; in flight: "
                        + io.describeInFlight());
            }
            waiter.parked = true;
            if (pending.get() <= 0) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(10));
            }
            waiter.parked = false;
        }
    }

    /** CPU time of the whole process (submitter, ring worker, reaper...), or -1 where the JVM cannot tell. */
    static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }

    private double micros(double percentile) {
        return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1000.0;
    }
}
