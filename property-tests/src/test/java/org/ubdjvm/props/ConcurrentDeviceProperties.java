package org.ubdjvm.props;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceTable;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;
import org.ubdjvm.queue.RequestOp;
import org.ubdjvm.queue.RequestTimeoutException;
import org.ubdjvm.queue.RingConfig;

/**
 * Several guest threads submit through one device's ring at once (raw or a COW stack, every engine). Every
 * completed read must return, sector by sector, a value the model allows at that point: the value of a write that
 * could have taken effect before the read completed and was not certainly overwritten before the read began (or
 * the initial content when no write had completed before it began). Sectors are the unit of atomicity.
 */
class ConcurrentDeviceProperties {
    static final int SECTORS = 32;
    private static final int SECTOR = 512;
    /** A request the engine loses fails the try after this (with the engine's state), never hangs it. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    /** One guest request: write {@code count} sectors from {@code sector}, read them, or flush. */
    record Op(char kind, int sector, int count) {
        @Override
        public String toString() {
            return kind == 'F' ? "flush" : (kind == 'W' ? "write" : "read") + "(" + sector + "+" + count + ")";
        }
    }

    /** What happened to one request, on one logical clock. */
    record Done(int thread, Op op, long writeId, long start, long end, long[] seen) {
    }

    @Provide
    Arbitrary<List<List<Op>>> scripts() {
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, Combinators.combine(Arbitraries.integers().between(0, SECTORS - 1),
                        Arbitraries.integers().between(1, 4)).as((s, c) -> new Op('W', s, Math.min(c, SECTORS - s)))),
                net.jqwik.api.Tuple.of(5, Combinators.combine(Arbitraries.integers().between(0, SECTORS - 1),
                        Arbitraries.integers().between(1, 4)).as((s, c) -> new Op('R', s, Math.min(c, SECTORS - s)))),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new Op('F', 0, 0))));
        return op.list().ofMinSize(1).ofMaxSize(12).list().ofMinSize(2).ofMaxSize(3);
    }

    @Provide
    Arbitrary<String> engines() {
        return Arbitraries.of("sync", "mmap", "io_uring", "aio");
    }

    // Tries come from the module's setting (1000 in CI, 10 000 with -Dproperties=long). Shrinking is bounded: a
    // concurrent failure need not reproduce on every shrink step; the message always has the scripts and timings.
    @Property(shrinking = net.jqwik.api.ShrinkingMode.BOUNDED)
    void readsReturnOnlyValuesTheModelAllows(@ForAll("scripts") List<List<Op>> scripts, @ForAll boolean cow,
                                              @ForAll("engines") String engine) throws Exception {
        Path dir = Files.createTempDirectory("concurrent");
        try (IoEngine io = IoEngines.create(engine);
             DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(io))
                     .withRing(RingConfig.of("ubd").withRequestTimeout(REQUEST_TIMEOUT)))) {
            Path back = dir.resolve("back.img");
            Files.write(back, new byte[SECTORS * SECTOR]); // initial content: write id 0 everywhere
            String arg = "ubd0=" + back;
            if (cow) {
                FormatTable.standard().create(CreateSpec.of(dir.resolve("top.cow"), "cow").withBacking(back));
                arg = "ubd0=" + dir.resolve("top.cow");
            }
            UbdDevice device = table.add(arg);
            List<Done> log = run(device, scripts);
            check(log, "scripts " + scripts);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Something done to the device beside the guests (a live snapshot), told the guests' clock and whether they are done. */
    @FunctionalInterface
    interface Beside {
        Beside NOTHING = (clock, guestsDone) -> { };

        void run(AtomicLong clock, java.util.function.BooleanSupplier guestsDone) throws Exception;
    }

    static List<Done> run(UbdDevice device, List<List<Op>> scripts) throws Exception {
        return run(device, scripts, Beside.NOTHING);
    }

    /**
     * Runs every script on a thread of its own and {@code beside} on another, all at once; then, once all are done,
     * one read of the whole disk (thread {@code scripts.size()}), so the log ends with what the device finally holds.
     */
    static List<Done> run(UbdDevice device, List<List<Op>> scripts, Beside beside) throws Exception {
        AtomicLong clock = new AtomicLong();
        AtomicLong ids = new AtomicLong();
        List<Done> log = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Void>> threads = new ArrayList<>();
        for (int t = 0; t < scripts.size(); t++) {
            int thread = t;
            threads.add(CompletableFuture.runAsync(() -> {
                try {
                    go.await();
                    for (Op op : scripts.get(thread)) {
                        log.add(one(device, thread, op, clock, ids));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, r -> new Thread(r).start()));
        }
        CompletableFuture<Void> guests = CompletableFuture.allOf(threads.toArray(CompletableFuture[]::new));
        CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
            try {
                go.await();
                beside.run(clock, guests::isDone);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, r -> new Thread(r).start());
        go.countDown();
        CompletableFuture.allOf(guests, other).get(60, TimeUnit.SECONDS);
        log.add(one(device, scripts.size(), new Op('R', 0, (int) (device.capacity() / SECTOR)), clock, ids));
        return log;
    }

    /** Submits one request through the ring and waits for it (each thread runs its script in order). */
    static Done one(UbdDevice device, int thread, Op op, AtomicLong clock, AtomicLong ids) throws Exception {
        ByteBuffer buf = op.kind() == 'F' ? null : ByteBuffer.allocate(op.count() * SECTOR);
        long id = op.kind() == 'W' ? ids.incrementAndGet() : 0;
        for (int i = 0; op.kind() == 'W' && i < op.count(); i++) {
            buf.putLong(i * SECTOR, id).putLong(i * SECTOR + 8, op.sector() + i);
        }
        CompletableFuture<IOException> f = new CompletableFuture<>();
        long[] endTick = new long[1];
        long start = clock.incrementAndGet();
        RequestOp kind = op.kind() == 'W' ? RequestOp.WRITE : op.kind() == 'R' ? RequestOp.READ : RequestOp.FLUSH;
        String[] inFlightAtTimeout = new String[1];
        device.submit(kind, (long) op.sector() * SECTOR, buf, (r, e) -> {
            endTick[0] = clock.incrementAndGet(); // taken in the completion: the read's data is final here
            if (e instanceof RequestTimeoutException) {
                // On the ring's timer, before it asks the engine to cancel: the dump shows what was stuck.
                inFlightAtTimeout[0] = device.describeInFlight();
            }
            f.complete(e);
        });
        IOException error;
        try {
            error = f.get(REQUEST_TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS); // the ring's timeout comes first
        } catch (TimeoutException e) {
            throw new AssertionError("thread " + thread + " " + op + " never completed, not even with ETIMEDOUT; in"
                    + " flight:\n" + device.describeInFlight());
        }
        if (error != null) {
            throw new AssertionError("thread " + thread + " " + op + " failed: " + error.getMessage()
                    + (inFlightAtTimeout[0] == null ? "" : "; in flight then:\n" + inFlightAtTimeout[0]), error);
        }
        long[] seen = null;
        if (op.kind() == 'R') {
            seen = new long[op.count()];
            for (int i = 0; i < op.count(); i++) {
                seen[i] = buf.getLong(i * SECTOR);
                long sector = buf.getLong(i * SECTOR + 8);
                if (seen[i] != 0 && sector != op.sector() + i) {
                    throw new AssertionError("thread " + thread + " " + op + ": sector " + (op.sector() + i)
                            + " holds data written for sector " + sector);
                }
            }
        }
        return new Done(thread, op, id, start, endTick[0], seen);
    }

    static void check(List<Done> log, Object context) {
        List<Done> writes = log.stream().filter(d -> d.op().kind() == 'W').toList();
        for (Done read : log) {
            if (read.op().kind() != 'R') {
                continue;
            }
            for (int i = 0; i < read.op().count(); i++) {
                int s = read.op().sector() + i;
                long got = read.seen()[i];
                List<Done> covering = writes.stream().filter(w -> w.op().sector() <= s && s < w.op().sector() + w.op().count()).toList();
                boolean allowed;
                if (got == 0) {
                    allowed = covering.stream().noneMatch(w -> w.end() < read.start());
                } else {
                    Done w = covering.stream().filter(c -> c.writeId() == got).findFirst().orElse(null);
                    allowed = w != null && w.start() < read.end() && covering.stream().noneMatch(
                            w2 -> w.end() < w2.start() && w2.end() < read.start());
                }
                if (!allowed) {
                    throw new AssertionError("read " + read.op() + " by thread " + read.thread() + " [" + read.start()
                            + ".." + read.end() + "] saw write " + got + " in sector " + s + "; writes to it: "
                            + covering.stream().map(w -> w.writeId() + "[" + w.start() + ".." + w.end() + "]").toList()
                            + "; " + context);
                }
            }
        }
    }
}
