package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.ubdjvm.harness.ByteSize;
import org.ubdjvm.harness.Warnings;
import org.ubdjvm.harness.bench.BenchFile;
import org.ubdjvm.harness.bench.BenchIo;
import org.ubdjvm.harness.bench.BenchLoop;
import org.ubdjvm.harness.bench.BenchReport;
import org.ubdjvm.harness.bench.BenchResult;
import org.ubdjvm.harness.bench.BenchRw;
import org.ubdjvm.harness.bench.BenchSpec;
import org.ubdjvm.harness.bench.BenchTarget;
import org.ubdjvm.harness.bench.EngineBenchIo;
import org.ubdjvm.harness.bench.FioPeer;
import org.ubdjvm.harness.bench.PeerProgram;
import org.ubdjvm.harness.bench.QemuImgPeer;
import org.ubdjvm.harness.bench.RingBenchmark;
import org.ubdjvm.harness.bench.StackBenchIo;
import org.ubdjvm.hostio.EngineSelection;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ubd bench}: a host-io engine alone ({@code --target=engine}) or the whole device stack
 * ({@code --target=stack}) under fio's closed-loop workload, against fio and/or {@code qemu-img bench} measured in
 * the same run, alternately, {@code --repeat} times. Options follow fio's names.
 */
@Command(name = "bench", description = {"Benchmark a host-io engine or the whole stack against fio / qemu-img bench.",
        "  ubd bench --engine=io_uring --rw=randread --bs=4k --iodepth=32 --size=1G --runtime=10s --compare=fio --repeat=3",
        "  ubd bench --target=stack --engine=io_uring --rw=randwrite --compare=fio,qemu-img",
        "Ratios are ubd/peer, measured in the same run: iops above 1 and p99 below 1 mean ubd is faster."})
final class BenchCommand implements Callable<Integer> {
    enum Output { human, json }

    @Spec
    CommandSpec spec;

    @Option(names = "--target", defaultValue = "engine", paramLabel = "WHAT",
            description = "engine: the host-io engine on --file; stack: ubd0=COW,FILE through ring, driver, a fresh COW V3 and the engine (default: ${DEFAULT-VALUE})")
    BenchTarget target;

    @Option(names = "--engine", defaultValue = IoEngines.AUTO, paramLabel = "NAME",
            description = "io_uring, aio, mmap, sync or auto (default: ${DEFAULT-VALUE})")
    String engine;

    @Option(names = "--rw", defaultValue = "randread", paramLabel = "MODE",
            description = "randread, randwrite, read or write (default: ${DEFAULT-VALUE})")
    BenchRw rw;

    @Option(names = "--bs", defaultValue = "4k", paramLabel = "SIZE", description = "block size (default: ${DEFAULT-VALUE})")
    String bs;

    @Option(names = "--iodepth", defaultValue = "32", paramLabel = "N",
            description = "requests in flight from the one submitter thread (default: ${DEFAULT-VALUE})")
    int iodepth;

    @Option(names = "--size", defaultValue = "1G", paramLabel = "SIZE",
            description = "bytes of the file the requests fall in (default: ${DEFAULT-VALUE})")
    String size;

    @Option(names = "--runtime", defaultValue = "10s", paramLabel = "TIME",
            description = "measured time per run, e.g. 300ms, 10s, 1m (default: ${DEFAULT-VALUE})")
    String runtime;

    @Option(names = "--ramp-time", defaultValue = "1s", paramLabel = "TIME",
            description = "run this long before measuring, ubd and fio alike (default: ${DEFAULT-VALUE})")
    String ramp;

    @Option(names = "--direct", description = "O_DIRECT, for ubd and fio alike (engine target only: the image layers do not open files direct yet)")
    boolean direct;

    @Option(names = "--file", paramLabel = "PATH",
            description = "data file, created and filled with non-zero bytes if missing or short (default: ubd-bench-SIZE.img in the temp folder, kept)")
    Path file;

    @Option(names = "--compare", split = ",", paramLabel = "PEER", description = "fio and/or qemu-img (stack only)")
    List<String> compare = new ArrayList<>();

    @Option(names = "--repeat", defaultValue = "1", paramLabel = "N",
            description = "alternate ubd and the peers N times; the median ratio is the result (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--ring-spin", description = "stack: the ring's worker spins for requests instead of sleeping (RingConfig spinWait)")
    boolean ringSpin;

    @Option(names = "--spin", defaultValue = BenchLoop.DEFAULT_SPIN, paramLabel = "TIME",
            description = "how long the submitter polls for a completion before it sleeps, e.g. 0, 20us, 1ms (default: ${DEFAULT-VALUE})")
    String spin;

    @Option(names = "--output", defaultValue = "human", paramLabel = "FMT", description = "human or json")
    Output output;

    /** Requests per producer thread in one ring measurement: long enough for the JIT, short enough to repeat. */
    private static final long RING_REQUESTS = 16_000_000;

    @Option(names = "--producers", defaultValue = "1", paramLabel = "N",
            description = "ring target: submitter threads (default: ${DEFAULT-VALUE}; 1 uses the single-submitter ring)")
    int producers;

    /**
     * The ring alone, no-op requests, against an ArrayBlockingQueue hand-off with the same producers, alternately in
     * the same run; the figure to quote is the median ratio.
     */
    private Integer ringBench() {
        if (producers < 1) {
            throw usage("--producers must be at least 1, not " + producers);
        }
        PrintWriter out = spec.commandLine().getOut();
        List<Double> ratios = new ArrayList<>();
        out.printf("bench: request ring, no-op requests, %d producer(s), batches of %d, vs ArrayBlockingQueue%n",
                producers, RingBenchmark.BATCH);
        out.printf("%-7s %12s %12s %8s%n", "repeat", "ring M/s", "ABQ M/s", "ratio");
        try {
            // one unreported round of each first, so neither side is measured while the JIT compiles it
            RingBenchmark.ring(producers, RING_REQUESTS / producers);
            RingBenchmark.arrayBlockingQueue(producers, RING_REQUESTS / producers);
            for (int r = 1; r <= repeat; r++) {
                RingBenchmark.Result ring = RingBenchmark.ring(producers, RING_REQUESTS / producers);
                RingBenchmark.Result abq = RingBenchmark.arrayBlockingQueue(producers, RING_REQUESTS / producers);
                double ratio = ring.millionsPerSecond() / abq.millionsPerSecond();
                ratios.add(ratio);
                out.printf("%-7d %12.1f %12.1f %8.2f%n", r, ring.millionsPerSecond(), abq.millionsPerSecond(), ratio);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return UbdMain.BAD_INPUT;
        }
        java.util.Collections.sort(ratios);
        out.printf("median ring/ABQ over %d: %.2f%n", repeat, ratios.get(ratios.size() / 2));
        return UbdMain.OK;
    }

    @Override
    public Integer call() throws IOException {
        if (direct && target != BenchTarget.engine) {
            throw usage("--direct: only with --target=engine (the image layers do not open files with O_DIRECT yet)");
        }
        duration("--spin", spin); // a bad value is refused before any file is made
        if (repeat < 1) {
            throw usage("--repeat must be at least 1, not " + repeat);
        }
        if (target == BenchTarget.ring) {
            return ringBench();
        }
        BenchSpec bench = benchSpec();
        FioPeer fio = null;
        QemuImgPeer qemuImg = null;
        List<String> peers = new ArrayList<>();
        for (String peer : compare) {
            switch (peer) {
                case FioPeer.NAME -> fio = new FioPeer(PeerProgram.find("fio", "fio"));
                case QemuImgPeer.NAME -> {
                    if (target != BenchTarget.stack) {
                        throw usage("--compare=qemu-img needs --target=stack (it benchmarks a qcow2 overlay)");
                    }
                    qemuImg = new QemuImgPeer(PeerProgram.find("qemu-img", "qemu-utils"));
                }
                default -> throw usage("--compare: unknown peer '" + peer + "' (known: fio, qemu-img)");
            }
            if (peers.contains(peer)) {
                throw usage("--compare: " + peer + " named twice");
            }
            peers.add(peer);
        }
        String engineName = resolveEngine(bench.iodepth());
        BenchFile.prepare(bench.file(), bench.size());
        Path work = target == BenchTarget.stack
                ? Files.createTempDirectory(bench.file().toAbsolutePath().getParent(), "ubd-bench-") : null;
        try {
            List<BenchReport.Repeat> repeats = new ArrayList<>();
            for (int r = 0; r < repeat; r++) {
                if (!bench.rw().writes()) {
                    BenchFile.warm(bench.file(), bench.size());
                }
                BenchResult ubd = runUbd(bench, engineName, work, r);
                List<BenchResult> results = new ArrayList<>();
                for (String peer : peers) {
                    results.add(peer.equals(FioPeer.NAME) ? fio.run(bench, bench.file(), engineName, direct)
                            : qemuImg.run(bench, qemuImgCount(ubd, bench), bench.file(),
                            work.resolve("qemu-" + r + ".qcow2"), engineName, false));
                }
                repeats.add(new BenchReport.Repeat(ubd, results));
            }
            BenchReport report = new BenchReport(bench, engineName, peers, repeats);
            PrintWriter out = spec.commandLine().getOut();
            if (output == Output.json) {
                out.print(report.json());
            } else {
                report.human(out);
            }
            return UbdMain.OK;
        } finally {
            if (work != null) {
                deleteTree(work);
            }
        }
    }

    private BenchSpec benchSpec() {
        Path data = file != null ? file
                : Path.of(System.getProperty("java.io.tmpdir"), "ubd-bench-" + size.toLowerCase() + ".img");
        try {
            return new BenchSpec(target, rw, Math.toIntExact(ByteSize.parse(bs)), iodepth, ByteSize.parse(size),
                    duration("--runtime", runtime), duration("--ramp-time", ramp), data);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw usage(e.getMessage());
        }
    }

    /** The engine auto picks, or the forced one; failing here, before any file is touched, if it cannot run. */
    private String resolveEngine(int depth) throws IOException {
        EngineSelection selection;
        try {
            selection = IoEngines.select(engine, depth);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        try (IoEngine e = selection.engine()) {
            if (selection.fellBack()) {
                Warnings.to(spec.commandLine().getErr()).accept("engine " + engine + " fell back to " + e.name()
                        + ": " + selection.fallbackReason());
            }
            return e.name();
        }
    }

    private BenchResult runUbd(BenchSpec bench, String engineName, Path work, int round) throws IOException {
        IoEngine e = IoEngines.select(engineName, bench.iodepth()).engine();
        Path cow = work == null ? null : work.resolve("ubd-" + round + ".cow");
        try (BenchIo io = target == BenchTarget.engine ? new EngineBenchIo(e, bench.file(), bench.rw().writes(), direct)
                : new StackBenchIo(e, cow, bench.file(), ringSpin, spec.commandLine().getErr())) {
            return new BenchLoop(io, bench, 2004 + round, duration("--spin", spin).toNanos()).run();
        } finally {
            if (cow != null) {
                Files.deleteIfExists(cow);
            }
        }
    }

    /** qemu-img bench runs a count, not a time: as many requests as ubd did in its run, so both run about as long. */
    private static long qemuImgCount(BenchResult ubd, BenchSpec bench) {
        return Math.max(1000, Math.round(ubd.iops() * bench.runtime().toMillis() / 1000.0));
    }

    private Duration duration(String option, String text) {
        try {
            return TimeOption.parse(option, text);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
