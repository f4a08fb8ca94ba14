package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.ubdjvm.harness.AccessPattern;
import org.ubdjvm.harness.ByteSize;
import org.ubdjvm.harness.NewFile;
import org.ubdjvm.harness.bench.BenchMatrix;
import org.ubdjvm.harness.bench.BenchPlots;
import org.ubdjvm.harness.bench.BenchReport;
import org.ubdjvm.harness.bench.MatrixReport;
import org.ubdjvm.harness.bench.BenchSpec;
import org.ubdjvm.harness.bench.BenchTarget;
import org.ubdjvm.harness.bench.Benchmark;
import org.ubdjvm.harness.bench.NbdBenchmark;
import org.ubdjvm.harness.bench.JobBenchReport;
import org.ubdjvm.harness.bench.JobBenchmark;
import org.ubdjvm.harness.bench.SyncMode;
import org.ubdjvm.harness.bench.RingBenchmark;
import org.ubdjvm.harness.bench.RingReport;
import org.ubdjvm.harness.bench.SnapshotBenchReport;
import org.ubdjvm.harness.bench.SnapshotBenchmark;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
        "  ubd bench --target=stack --engine=io_uring --rw=randwrite --compare=fio,qemu-img --plot=stack.png",
        "  ubd bench --matrix --engines=sync,io_uring --iodepths=1,32 --plot=plots/",
        "  ubd bench --target=commit --size=1G --dirty=50%% --compare=uml_moo,qemu-img --repeat=3",
        "  ubd bench --target=snapshot --snapshots=100 --iodepth=32 --rw=randwrite --output=json",
        "Ratios are ubd/peer, measured in the same run: iops above 1 and p99 below 1 mean ubd is faster."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--target", defaultValue = "engine", paramLabel = "WHAT",
            description = "engine: the host-io engine on --file; stack: ubd0=COW,FILE through ring, driver, a fresh COW V3 and the engine;"
                    + " nbd: fio's nbd engine against ubd serve of a fresh COW V3 over FILE (peers: qemu-nbd, nbdkit);"
                    + " convert, commit: the whole-image job on a fresh stack of --size, --dirty written, against uml_moo and qemu-img;"
                    + " snapshot: --snapshots live snapshots of ubd0=COW,BASE under a writing guest (default --rw randwrite), their pause and its phases (default: ${DEFAULT-VALUE})")
    BenchTarget target;

    @Mixin
    EngineOption engine;

    @Mixin
    WorkloadOptions workload = new WorkloadOptions(AccessPattern.randread, 32, "10s");

    @Option(names = "--size", defaultValue = "1G", paramLabel = "SIZE",
            description = "bytes of the file the requests fall in (default: ${DEFAULT-VALUE})")
    String size;

    @Option(names = "--dirty", defaultValue = "50%", paramLabel = "FRACTION",
            description = "convert/commit: the share of the disk written in the top, in 4 KiB runs (default: ${DEFAULT-VALUE})")
    String dirty;

    @Option(names = "--sync", defaultValue = "all", paramLabel = "all|none",
            description = "convert/commit: all: each tool's time ends once its output is fsynced (tool start to data durable); "
                    + "none: when the tool returns (qemu-img convert and uml_moo do not sync; ubd's jobs always do) (default: ${DEFAULT-VALUE})")
    SyncMode sync;

    @Option(names = "--ramp-time", defaultValue = "1s", paramLabel = "TIME",
            description = "run this long before measuring, ubd and fio alike (default: ${DEFAULT-VALUE})")
    String ramp;

    @Option(names = "--direct", description = "O_DIRECT, for ubd and its peers alike: the engine's file, or every layer of the stack (qemu-img bench -t none)")
    boolean direct;

    @Option(names = "--file", paramLabel = "PATH",
            description = "data file, created and filled with non-zero bytes if missing or short (default: ubd-bench-SIZE.img in the temp folder, kept)")
    Path file;

    @Option(names = "--compare", split = ",", paramLabel = "PEER",
            description = "fio and/or qemu-img (stack only); with --target=nbd: qemu-nbd and/or nbdkit")
    List<String> compare = new ArrayList<>();

    @Option(names = "--repeat", defaultValue = "1", paramLabel = "N",
            description = "alternate ubd and the peers N times; the median ratio is the result (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--ring-spin", description = "stack: the ring's worker spins for requests instead of sleeping (RingConfig spinWait)")
    boolean ringSpin;

    @Option(names = "--spin", defaultValue = Benchmark.DEFAULT_SPIN, paramLabel = "TIME",
            description = "how long the submitter polls for a completion before it sleeps, e.g. 0, 20us, 1ms (default: ${DEFAULT-VALUE})")
    String spin;

    @Mixin
    OutputOption output;

    @Option(names = "--matrix", description = "every engine x pattern x queue depth (--engines, --patterns, --iodepths), "
            + "each cell against fio in the same run; one table")
    boolean matrix;

    @Option(names = "--engines", split = ",", paramLabel = "ENGINE",
            description = "matrix: engines (default: sync,aio,io_uring,mmap)")
    List<String> engines;

    @Option(names = "--patterns", split = ",", paramLabel = "MODE",
            description = "matrix: patterns (default: randread,randwrite,read,write)")
    List<AccessPattern> patterns;

    @Option(names = "--iodepths", split = ",", paramLabel = "N", description = "matrix: queue depths (default: 1,8,32)")
    List<Integer> iodepths;

    @Option(names = "--plot", paramLabel = "FILE.png|DIR",
            description = "PNG charts: one FILE.png for a single bench; with --matrix a folder of IOPS, latency "
                    + "percentile and CPU charts (made if missing)")
    Path plot;

    @Option(names = "--snapshots", defaultValue = "100", paramLabel = "N",
            description = "snapshot target: live snapshots to take, one every 20 ms of the guest's writing (default: ${DEFAULT-VALUE})")
    int snapshots;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "snapshot target: the new layers' format, e.g. cow (default: the layer format)")
    String format;

    @Option(names = "--producers", defaultValue = "1", paramLabel = "N",
            description = "ring target: submitter threads (default: ${DEFAULT-VALUE}; 1 uses the single-submitter ring)")
    int producers;

    @Override
    public Integer call() throws IOException {
        if (direct && (target == BenchTarget.ring || target == BenchTarget.nbd)) {
            throw usage("--direct: only with --target=engine or stack (the " + target + " target has no layer to open direct)");
        }
        long spinNanos = TimeOption.parse(spec, "--spin", spin).toNanos(); // refused before any file is made
        if (repeat < 1) {
            throw usage("--repeat must be at least 1, not " + repeat);
        }
        if (target == BenchTarget.convert || target == BenchTarget.commit) {
            if (matrix || plot != null) {
                throw usage("--target=" + target + ": no --matrix or --plot (one job against uml_moo and qemu-img)");
            }
            return jobBench();
        }
        if (target == BenchTarget.snapshot) {
            if (matrix || plot != null || direct || !compare.isEmpty() || repeat != 1) {
                throw usage("--target=snapshot: no --matrix, --plot, --direct, --compare or --repeat (it has no peer)");
            }
            return snapshotBench(spinNanos);
        }
        if (target == BenchTarget.ring) {
            if (matrix || plot != null) {
                throw usage("--target=ring: no --matrix or --plot (it measures the ring alone, with no file)");
            }
            return ringBench();
        }
        if (matrix) {
            return matrixBench(spinNanos);
        }
        if (engines != null || patterns != null || iodepths != null) {
            throw usage("--engines, --patterns and --iodepths are --matrix's axes; a single bench takes --engine, --rw, --iodepth");
        }
        if (plot != null) {
            checkPlotFile();
        }
        BenchSpec bench = benchSpec();
        if (target == BenchTarget.nbd) {
            return nbdBench(bench);
        }
        Benchmark benchmark = new Benchmark(bench, direct, ringSpin, spinNanos, spec.commandLine().getErr());
        for (String peer : compare) {
            if (!Benchmark.PEERS.contains(peer)) {
                throw usage("--compare: unknown peer '" + peer + "' (known: " + String.join(", ", Benchmark.PEERS) + ")");
            }
            if (peer.equals(Benchmark.QEMU_IMG) && target != BenchTarget.stack) {
                throw usage("--compare=qemu-img needs --target=stack (it benchmarks a qcow2 overlay)");
            }
            if (!benchmark.compareWith(peer)) {
                throw usage("--compare: " + peer + " named twice");
            }
        }
        report(benchmark.run(resolveEngine(bench.iodepth()), repeat));
        return UbdMain.OK;
    }

    /** fio's nbd engine against ubd serve and the NBD peers named by --compare. */
    private Integer nbdBench(BenchSpec bench) throws IOException {
        NbdBenchmark benchmark = new NbdBenchmark(bench, spec.commandLine().getErr());
        for (String peer : compare) {
            if (!NbdBenchmark.PEERS.contains(peer)) {
                throw usage("--compare: unknown NBD peer '" + peer + "' (known: "
                        + String.join(", ", NbdBenchmark.PEERS) + ")");
            }
            if (!benchmark.compareWith(peer)) {
                throw usage("--compare: " + peer + " named twice");
            }
        }
        report(benchmark.run(resolveEngine(bench.iodepth()), repeat));
        return UbdMain.OK;
    }

    private void report(BenchReport report) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (plot != null) {
            BenchPlots.single(report, plot);
        }
        if (output.json()) {
            out.print(report.json());
        } else {
            report.human(out);
            if (plot != null) {
                out.printf("plot: %s%n", plot);
            }
        }
    }

    /** The matrix: every engine, pattern and queue depth against fio, one table (or JSON), and the charts. */
    private Integer matrixBench(long spinNanos) throws IOException {
        for (String single : List.of("--engine", "--rw", "--iodepth")) {
            if (spec.commandLine().getParseResult().hasMatchedOption(single)) {
                throw usage(single + " is a single bench's; --matrix takes --engines, --patterns, --iodepths");
            }
        }
        if (!compare.isEmpty() && !compare.equals(List.of("fio"))) {
            throw usage("--matrix compares every cell with fio; --compare=" + String.join(",", compare) + " does not apply");
        }
        BenchMatrix.Axes axes;
        try {
            axes = new BenchMatrix.Axes(engines != null ? engines : List.of("sync", "aio", "io_uring", "mmap"),
                    patterns != null ? patterns : List.of(AccessPattern.randread, AccessPattern.randwrite,
                            AccessPattern.read, AccessPattern.write),
                    iodepths != null ? iodepths : List.of(1, 8, 32));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        BenchSpec base = benchSpec();
        for (AccessPattern rw : axes.patterns()) {
            for (int qd : axes.iodepths()) { // every cell's workload is refused now, not halfway through the matrix
                try {
                    new BenchSpec(base.target(), rw, base.blockSize(), qd, base.size(), base.runtime(), base.ramp(),
                            base.file());
                } catch (IllegalArgumentException e) {
                    throw usage(e.getMessage());
                }
            }
        }
        for (String e : axes.engines()) {
            if (e.equals(IoEngines.AUTO)) {
                throw usage("--engines: name each engine (auto is not one)");
            }
            try (IoEngine ignored = IoEngines.select(e, Collections.max(axes.iodepths())).engine()) {
                // it can run here
            } catch (IllegalArgumentException x) {
                throw usage("--engines: " + x.getMessage());
            }
        }
        BenchMatrix.requireFio();
        if (plot != null) {
            if (Files.exists(plot) && !Files.isDirectory(plot)) {
                throw usage("--plot with --matrix names a folder, and " + plot + " is a file");
            }
            Files.createDirectories(plot);
        }
        MatrixReport report;
        try (Progress progress = Progress.of("bench matrix", axes.engines().size() * axes.patterns().size()
                * axes.iodepths().size(), output.json())) {
            report = new BenchMatrix(base, axes, direct, ringSpin, spinNanos, spec.commandLine().getErr()).run(repeat,
                    (done, total, cell) -> {
                        progress.extraMessage(cell.rw() + " " + cell.engine() + " QD" + cell.iodepth());
                        progress.stepTo(done);
                    });
        }
        List<Path> plots = plot == null ? List.of() : BenchPlots.matrix(report, plot);
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            out.print(report.json(plots));
        } else {
            report.human(out);
            for (Path p : plots) {
                out.printf("plot: %s%n", p);
            }
        }
        return UbdMain.OK;
    }

    /** A single bench's --plot is one PNG; its folder must take a new file, checked before anything runs. */
    private void checkPlotFile() throws IOException {
        if (!plot.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
            throw usage("--plot names a .png file for a single bench (a folder with --matrix), not " + plot);
        }
        NewFile.requireWritable(plot, "plot");
    }

    /** A whole-image job (convert, commit) on a fresh stack in the temp folder (or --file's), against the peers. */
    private Integer jobBench() throws IOException {
        JobBenchmark job;
        try {
            Path folder = file != null ? file.toAbsolutePath().getParent() : Path.of(System.getProperty("java.io.tmpdir"));
            job = new JobBenchmark(target, ByteSize.parse(size), percent(dirty), folder, resolveEngine(64), sync);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        for (String peer : compare) {
            if (!JobBenchmark.PEERS.contains(peer)) {
                throw usage("--compare: unknown peer '" + peer + "' for --target=" + target + " (known: "
                        + String.join(", ", JobBenchmark.PEERS) + ")");
            }
            if (!job.compareWith(peer)) {
                throw usage("--compare: " + peer + " named twice");
            }
        }
        JobBenchReport report = job.run(repeat);
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            out.print(report.json());
        } else {
            report.human(out);
        }
        return UbdMain.OK;
    }

    /** Live snapshots under a writing guest; the workload is randwrite unless --rw says otherwise. */
    private Integer snapshotBench(long spinNanos) throws IOException {
        if (!spec.commandLine().getParseResult().hasMatchedOption("--rw")) {
            workload.rw = AccessPattern.randwrite;
        }
        BenchSpec bench = benchSpec();
        SnapshotBenchmark benchmark;
        try {
            benchmark = new SnapshotBenchmark(bench, snapshots, format, spinNanos, spec.commandLine().getErr());
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        benchmark.run(resolveEngine(bench.iodepth()), report -> {
            if (output.json()) {
                out.print(report.json());
            } else {
                report.human(out);
            }
            out.flush();
        });
        return UbdMain.OK;
    }

    /** "50%" or "0.5". */
    private double percent(String text) {
        try {
            String t = text.strip();
            return t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1)) / 100 : Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw usage("--dirty: not a fraction or percentage: '" + text + "'");
        }
    }

    /** The ring alone against an ArrayBlockingQueue: no file, no engine, no peer. */
    private Integer ringBench() throws IOException {
        if (producers < 1) {
            throw usage("--producers must be at least 1, not " + producers);
        }
        try {
            RingReport report = RingBenchmark.compare(producers, repeat);
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                out.print(report.json());
            } else {
                report.human(out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return UbdMain.BAD_INPUT;
        }
        return UbdMain.OK;
    }

    private BenchSpec benchSpec() {
        Path data = file != null ? file
                : Path.of(System.getProperty("java.io.tmpdir"), "ubd-bench-" + size.toLowerCase() + ".img");
        try {
            return new BenchSpec(target, workload.rw, Math.toIntExact(ByteSize.parse(workload.bs)), workload.iodepth,
                    ByteSize.parse(size), workload.runtime(), TimeOption.parse(spec, "--ramp-time", ramp), data);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw usage(e.getMessage());
        }
    }

    /** The engine auto picks, or the forced one; failing here, before any file is touched, if it cannot run. */
    private String resolveEngine(int depth) throws IOException {
        try (IoEngine chosen = engine.open(depth, spec.commandLine().getErr())) {
            return chosen.name();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
