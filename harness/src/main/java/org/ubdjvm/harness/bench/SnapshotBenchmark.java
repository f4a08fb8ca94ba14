package org.ubdjvm.harness.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.ubdjvm.driver.SnapshotTiming;
import org.ubdjvm.hostio.IoEngines;

/**
 * {@code ubd bench --target=snapshot}: the whole stack ({@code ubd0=COW,BASE}, as {@link StackBenchIo}) under fio's
 * closed loop on one thread, while this thread takes {@code snapshots} live snapshots through
 * {@code UbdDevice.snapshot}, the call the control socket's {@code snapshot} makes, one every {@link #INTERVAL}.
 * Each snapshot's pause (the ring held) and the phases before, inside and after it are reported. The base is sparse
 * and never read (whole-block writes into the COW need nothing below), so the page cache holds all that is read.
 */
public final class SnapshotBenchmark {
    /** The guest writes this long between snapshots, so each old top has fresh writes for the barrier to flush. */
    static final Duration INTERVAL = Duration.ofMillis(20);
    static final Duration SNAPSHOT_WAIT = Duration.ofSeconds(60);
    static final String CACHE = "warm: the base is sparse and never read; every layer is new";
    /** The guest's loop is bounded by the snapshots, not by a runtime; this is only its cap. */
    private static final Duration CAP = Duration.ofHours(1);

    private final BenchSpec spec;
    private final int snapshots;
    private final String format;
    private final long spinNanos;
    private final PrintWriter err;

    /** {@code spec}'s runtime is ignored (the snapshots bound the run); {@code format} null: the layer format. */
    public SnapshotBenchmark(BenchSpec spec, int snapshots, String format, long spinNanos, PrintWriter err) {
        if (snapshots < 1) {
            throw new IllegalArgumentException("--snapshots must be at least 1, not " + snapshots);
        }
        if (!spec.rw().writes()) {
            throw new IllegalArgumentException("--target=snapshot measures a writing guest: --rw=write or randwrite, not "
                    + spec.rw());
        }
        this.spec = new BenchSpec(spec.target(), spec.rw(), spec.blockSize(), spec.iodepth(), spec.size(), CAP,
                spec.ramp(), spec.file());
        this.snapshots = snapshots;
        this.format = format;
        this.spinNanos = spinNanos;
        this.err = err;
    }

    /** Where the report goes, before the folder is removed (unlinking a hundred fragmented layers takes a while). */
    public interface ReportSink {
        void accept(SnapshotBenchReport report) throws IOException;
    }

    /** Runs in a fresh folder beside {@code spec.file()}, removed after {@code sink} has had the report. */
    public void run(String engine, ReportSink sink) throws IOException {
        Path dir = Files.createTempDirectory(spec.file().toAbsolutePath().getParent(), "ubd-bench-snapshot-");
        try {
            SnapshotBenchReport report;
            Path base = dir.resolve("base.img");
            try (RandomAccessFile f = new RandomAccessFile(base.toFile(), "rw")) {
                f.setLength(spec.size());
            }
            try (StackBenchIo io = new StackBenchIo(IoEngines.select(engine, spec.iodepth()).engine(),
                    dir.resolve("top0.cow"), base, false, false, err)) {
                report = measure(io, dir, engine);
            }
            sink.accept(report);
        } finally {
            JobBenchmark.deleteTree(dir);
        }
    }

    private SnapshotBenchReport measure(StackBenchIo io, Path dir, String engine) throws IOException {
        AtomicReference<BenchLoop> loop = new AtomicReference<>();
        AtomicReference<Object> outcome = new AtomicReference<>(); // the guest's BenchResult or its Throwable
        Thread guest = new Thread(() -> {
            try {
                BenchLoop l = new BenchLoop(io, spec, 2026, spinNanos);
                synchronized (loop) {
                    loop.set(l);
                    loop.notifyAll();
                }
                outcome.set(l.run());
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, "bench-guest");
        guest.start();
        List<SnapshotTiming> taken = new ArrayList<>();
        double loadBefore = loadAverage();
        long cpuStart = BenchLoop.processCpuNanos();
        long start = System.nanoTime();
        try {
            awaitLoop(loop, outcome);
            sleep(spec.ramp());
            for (int i = 1; i <= snapshots && outcome.get() == null; i++) {
                sleep(INTERVAL);
                taken.add(io.device().snapshot(dir.resolve("top" + i + ".cow"), format, SNAPSHOT_WAIT));
            }
        } finally {
            BenchLoop l = loop.get();
            if (l != null) {
                l.stop();
            }
            join(guest);
        }
        long elapsed = System.nanoTime() - start;
        long cpu = BenchLoop.processCpuNanos() - cpuStart;
        if (outcome.get() instanceof Throwable t) {
            throw t instanceof IOException io2 ? io2 : new IOException("the guest's workload failed: " + t, t);
        }
        return new SnapshotBenchReport(spec, engine, format, CACHE, new SnapshotBenchReport.Host(
                Runtime.getRuntime().availableProcessors(), loadBefore, loadAverage(), cpu / 1e9, elapsed / 1e9),
                (BenchResult) outcome.get(), taken);
    }

    private static void awaitLoop(AtomicReference<BenchLoop> loop, AtomicReference<Object> outcome)
            throws IOException {
        synchronized (loop) {
            while (loop.get() == null && outcome.get() == null) {
                try {
                    loop.wait(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
        }
    }

    private static void sleep(Duration d) throws IOException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private static void join(Thread t) throws IOException {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    /** The host's 1-minute load average, NaN where there is no /proc/loadavg: others' load is part of the result. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
