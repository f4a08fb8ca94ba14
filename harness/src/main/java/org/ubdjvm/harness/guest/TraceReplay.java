package org.ubdjvm.harness.guest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.HdrHistogram.Histogram;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.queue.RequestCompletion;
import org.ubdjvm.queue.RequestOp;

/**
 * Replays an {@link IoLog} through the devices' rings and the driver, in the recorded order: up to {@code iodepth}
 * requests in flight, but a request that overlaps one in flight (and either writes) waits for it, and a flush waits
 * for everything before it and is waited for, so every block ends as the recorded order leaves it. With a speed,
 * each request also waits for its recorded time (divided by the speed).
 *
 * <p>Writes carry self-describing sectors ({@link VerifiedBlock}: device, sector, and the number of times the replay
 * has written that sector), as a traced {@code ubd run} writes them: replaying its trace on the same starting image
 * gives the same bytes. With verify, every read is checked: a sector the replay wrote must hold exactly the last
 * generation it wrote, and any other sector that claims to be self-describing must be intact (checksum, device,
 * sector), so corrupt data in any layer below is caught at the first read of it.
 */
public final class TraceReplay {
    private static final int MAX_PROBLEMS = 5;
    private static final long MAX_REQUEST = 64L << 20;
    private static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int PROGRESS_EVERY = 1024;

    /**
     * @param speed    1 the recorded timing, 2 twice as fast...; 0 as fast as possible
     * @param verify   check every read
     * @param iodepth  requests in flight at most
     * @param progress told how many requests were issued, now and then; may be null
     */
    public record Options(double speed, boolean verify, int iodepth, LongConsumer progress) {
        public Options {
            if (speed < 0 || Double.isNaN(speed) || Double.isInfinite(speed)) {
                throw new IllegalArgumentException("--speed must be a positive number, not " + speed);
            }
            if (iodepth < 1 || iodepth > 1024) {
                throw new IllegalArgumentException("--iodepth must be 1..1024, not " + iodepth);
            }
        }

        public Options withProgress(LongConsumer listener) {
            return new Options(speed, verify, iodepth, listener);
        }
    }

    /** A mismatch and where it is in the trace, so the first one in trace order is reported first. */
    private record Problem(int index, String text) {
    }

    private final IoLog log;
    private final List<UbdDevice> devices;
    private final int[] deviceOfFile;
    private final Options options;
    private final SectorGenerations[] generations;
    private final Slot[] slots;
    private final Slot[] active;
    private int activeCount;
    private final ArrayBlockingQueue<Slot> completed;
    private final Histogram latency = new Histogram(MAX_LATENCY_NANOS, 3);
    private final List<Problem> problems = new ArrayList<>();
    private IOException firstError;
    private long errors;
    private long mismatches;
    private long verifiedSectors;
    private long reads;
    private long writes;
    private long flushes;
    private long discards;
    private long bytes;

    /**
     * Checks every request against its device (file {@code f} of the log goes to {@code devices.get(deviceOfFile[f])},
     * whose position in the list is the device number its data carries) before anything is sent: a request that is
     * not whole sectors, lies past the end, or writes to a read-only device is an IOException naming its line.
     */
    public TraceReplay(IoLog log, List<UbdDevice> devices, int[] deviceOfFile, Options options) throws IOException {
        this.log = log;
        this.devices = List.copyOf(devices);
        this.deviceOfFile = deviceOfFile.clone();
        this.options = options;
        long longest = check();
        this.generations = new SectorGenerations[devices.size()];
        for (int d = 0; d < generations.length; d++) {
            generations[d] = new SectorGenerations(devices.get(d).capacity() / VerifiedBlock.SECTOR);
        }
        this.slots = new Slot[options.iodepth()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(longest);
        }
        this.active = new Slot[slots.length];
        this.completed = new ArrayBlockingQueue<>(slots.length);
    }

    /** The longest read or write, after checking each request against its device. */
    private long check() throws IOException {
        long longest = VerifiedBlock.SECTOR;
        for (int i = 0; i < log.size(); i++) {
            RequestOp op = log.op(i);
            UbdDevice d = devices.get(deviceOfFile[log.file(i)]);
            if (op == RequestOp.FLUSH) {
                continue;
            }
            if (log.offset(i) % VerifiedBlock.SECTOR != 0 || log.length(i) % VerifiedBlock.SECTOR != 0) {
                throw refused(i, d, "not whole 512-byte sectors");
            }
            if (log.offset(i) + log.length(i) > d.capacity() || log.offset(i) + log.length(i) < 0) {
                throw refused(i, d, "past the end of the device (" + d.capacity() + " bytes)");
            }
            if (op != RequestOp.READ && d.readOnly()) {
                throw refused(i, d, "the device is read-only");
            }
            if (op != RequestOp.DISCARD) {
                if (log.length(i) > MAX_REQUEST) {
                    throw refused(i, d, "longer than the " + (MAX_REQUEST >> 20) + " MiB a replay request may be");
                }
                longest = Math.max(longest, log.length(i));
            }
        }
        return longest;
    }

    private IOException refused(int i, UbdDevice d, String why) {
        return new IOException(log.where(i) + ": " + TraceRecorder.action(log.op(i)) + " of " + log.length(i)
                + " bytes at offset " + log.offset(i) + " on " + d.name() + ": " + why);
    }

    /**
     * Replays the whole log; a host error (ENOSPC, EIO, a timeout) ends it after what is in flight completed, as an
     * IOException with that request's one-line error.
     */
    public RunResult run() throws IOException, InterruptedException {
        long start = System.nanoTime();
        for (int i = 0; i < log.size() && firstError == null; i++) {
            if (options.speed() > 0) {
                awaitTime(start + (long) (log.micros(i) * 1000.0 / options.speed()));
            }
            issue(i);
            if (options.progress() != null && i % PROGRESS_EVERY == 0) {
                options.progress().accept(i);
            }
        }
        drain();
        long elapsed = System.nanoTime() - start;
        if (options.progress() != null) {
            options.progress().accept(log.size());
        }
        if (firstError != null) {
            throw new IOException(firstError.getMessage() + (errors > 1 ? " (and " + (errors - 1) + " more errors)" : ""),
                    firstError);
        }
        problems.sort(Comparator.comparingInt(Problem::index));
        return new RunResult(reads, writes, flushes, bytes, elapsed, micros(50), micros(99), micros(99.9),
                verifiedSectors, mismatches, errors, problems.stream().map(Problem::text).toList());
    }

    public long discards() {
        return discards;
    }

    private void issue(int i) throws IOException, InterruptedException {
        RequestOp op = log.op(i);
        int d = deviceOfFile[log.file(i)];
        UbdDevice device = devices.get(d);
        if (op == RequestOp.FLUSH) {
            drain(); // a flush covers what completed before it: the recorded flush point
            Slot s = slots[0];
            s.start(i, d, op, 0, 0);
            active[activeCount++] = s;
            flushes++;
            device.submit(RequestOp.FLUSH, 0, null, s);
            drain();
            return;
        }
        long offset = log.offset(i);
        long length = log.length(i);
        while (activeCount == slots.length || conflicts(d, op, offset, length)) {
            reapOne();
        }
        Slot s = freeSlot();
        s.start(i, d, op, offset, length);
        active[activeCount++] = s;
        switch (op) {
            case READ -> {
                reads++;
                bytes += length;
                device.submit(RequestOp.READ, offset, s.buffer, s);
            }
            case WRITE -> {
                writes++;
                bytes += length;
                fill(s, d, offset, length);
                s.startedAt = System.nanoTime(); // the time to fill the data is the replay's, not the device's
                device.submit(RequestOp.WRITE, offset, s.buffer, s);
            }
            case DISCARD -> {
                discards++;
                for (long sector = offset / VerifiedBlock.SECTOR; sector < (offset + length) / VerifiedBlock.SECTOR; sector++) {
                    generations[d].discard(sector);
                }
                device.discard(offset, length, s);
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    private void fill(Slot s, int device, long offset, long length) {
        long first = offset / VerifiedBlock.SECTOR;
        for (int k = 0; k < length / VerifiedBlock.SECTOR; k++) {
            VerifiedBlock.fillSector(s.littleEndian, k * VerifiedBlock.SECTOR, device, first + k,
                    generations[device].next(first + k));
        }
    }

    /** A request that overlaps one in flight on the same device, where either changes data, must wait for it. */
    private boolean conflicts(int device, RequestOp op, long offset, long length) {
        for (int a = 0; a < activeCount; a++) {
            Slot s = active[a];
            if (s.device == device && offset < s.offset + s.length && s.offset < offset + length
                    && (op != RequestOp.READ || s.op != RequestOp.READ)) {
                return true;
            }
        }
        return false;
    }

    private Slot freeSlot() {
        for (Slot s : slots) {
            if (!s.busy) {
                return s;
            }
        }
        throw new IllegalStateException("no free slot with fewer than iodepth requests in flight");
    }

    /** Waits until {@code due}, taking completions meanwhile. */
    private void awaitTime(long due) throws InterruptedException, IOException {
        for (long left = due - System.nanoTime(); left > 0; left = due - System.nanoTime()) {
            Slot s = completed.poll(left, TimeUnit.NANOSECONDS);
            if (s != null) {
                reap(s);
            }
        }
    }

    private void drain() throws IOException, InterruptedException {
        while (activeCount > 0) {
            reapOne();
        }
    }

    /** Waits for one completion, at most past the device's request timeout (which fails the request by itself). */
    private void reapOne() throws IOException, InterruptedException {
        UbdDevice d = devices.get(active[0].device);
        long backstop = Sync.backstop(d).toNanos();
        Slot s = completed.poll(backstop, TimeUnit.NANOSECONDS);
        if (s == null) {
            throw new IOException(d.name() + ": no completion within " + TimeUnit.NANOSECONDS.toSeconds(backstop)
                    + " s, not even ETIMEDOUT; in flight: " + d.describeInFlight());
        }
        reap(s);
    }

    private void reap(Slot s) {
        for (int a = 0; a < activeCount; a++) {
            if (active[a] == s) {
                active[a] = active[--activeCount];
                break;
            }
        }
        if (s.error != null) {
            errors++;
            firstError = firstError == null ? s.error : firstError;
        } else if (s.op == RequestOp.READ || s.op == RequestOp.WRITE) {
            latency.recordValue(Math.min(s.doneAt - s.startedAt, MAX_LATENCY_NANOS));
            if (s.op == RequestOp.READ && options.verify()) {
                verify(s);
            }
        }
        s.busy = false;
        s.error = null;
    }

    private void verify(Slot s) {
        long first = s.offset / VerifiedBlock.SECTOR;
        UbdDevice device = devices.get(s.device);
        for (int k = 0; k < s.length / VerifiedBlock.SECTOR; k++) {
            long sector = first + k;
            int expected = generations[s.device].get(sector);
            long got = VerifiedBlock.generationOf(s.buffer, k * VerifiedBlock.SECTOR, s.device, sector);
            verifiedSectors++;
            boolean good = expected > 0 ? got == expected
                    : expected == SectorGenerations.DISCARDED ? zeros(s.buffer, k * VerifiedBlock.SECTOR) : got >= 0;
            if (!good) {
                mismatches++;
                problem(new Problem(s.index, device.name() + ": bad data at offset " + sector * VerifiedBlock.SECTOR
                        + " (sector " + sector + ", " + log.where(s.index) + "): expected " + (expected > 0
                        ? "generation " + expected : expected == 0 ? "intact data" : "zeros (discarded)") + ", found "
                        + (got < 0 ? "corrupt data" : got == 0 ? "other data" : "generation " + got)));
                return; // one line per request is enough
            }
        }
    }

    private static boolean zeros(ByteBuffer b, int at) {
        for (int i = at; i < at + VerifiedBlock.SECTOR; i += 8) {
            if (b.getLong(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Keeps the first problems in trace order, whatever order the completions came in. */
    private void problem(Problem p) {
        problems.add(p);
        if (problems.size() > MAX_PROBLEMS) {
            problems.sort(Comparator.comparingInt(Problem::index));
            problems.remove(problems.size() - 1);
        }
    }

    private double micros(double percentile) {
        return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1000.0;
    }

    /** One request in flight: its buffer and the completion the ring calls, made once and reused. */
    private final class Slot implements RequestCompletion {
        final ByteBuffer buffer;
        final ByteBuffer littleEndian;
        boolean busy;
        int index;
        int device;
        RequestOp op;
        long offset;
        long length;
        long startedAt;
        /** Written by the completing thread before the hand-over through the queue, read after it. */
        long doneAt;
        IOException error;

        Slot(long capacity) {
            // page-aligned, as O_DIRECT and mmap copies like
            this.buffer = ByteBuffer.allocateDirect(Math.toIntExact(capacity) + 4096).alignedSlice(4096)
                    .limit(Math.toIntExact(capacity)).slice();
            this.littleEndian = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }

        void start(int i, int d, RequestOp o, long off, long len) {
            busy = true;
            index = i;
            device = d;
            op = o;
            offset = off;
            length = len;
            buffer.clear().limit((int) Math.min(len, buffer.capacity()));
            startedAt = System.nanoTime();
        }

        @Override
        public void completed(long result, IOException e) {
            doneAt = System.nanoTime();
            error = e;
            completed.add(this); // never full: it holds at most the slots in flight
        }
    }
}
