package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.ubdjvm.harness.AccessPattern;
import org.ubdjvm.harness.ByteSize;
import org.ubdjvm.harness.bench.BenchReport;
import org.ubdjvm.harness.bench.BenchSpec;
import org.ubdjvm.harness.bench.BenchTarget;
import org.ubdjvm.harness.bench.Benchmark;
import org.ubdjvm.harness.bench.RingBenchmark;
import org.ubdjvm.hostio.IoEngine;
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
        "  ubd bench --target=stack --engine=io_uring --rw=randwrite --compare=fio,qemu-img",
        "Ratios are ubd/peer, measured in the same run: iops above 1 and p99 below 1 mean ubd is faster."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--target", defaultValue = "engine", paramLabel = "WHAT",
            description = "engine: the host-io engine on --file; stack: ubd0=COW,FILE through ring, driver, a fresh COW V3 and the engine (default: ${DEFAULT-VALUE})")
    BenchTarget target;

    @Mixin
    EngineOption engine;

    @Mixin
    WorkloadOptions workload = new WorkloadOptions(AccessPattern.randread, 32, "10s");

    @Option(names = "--size", defaultValue = "1G", paramLabel = "SIZE",
            description = "bytes of the file the requests fall in (default: ${DEFAULT-VALUE})")
    String size;

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

    @Option(names = "--spin", defaultValue = Benchmark.DEFAULT_SPIN, paramLabel = "TIME",
            description = "how long the submitter polls for a completion before it sleeps, e.g. 0, 20us, 1ms (default: ${DEFAULT-VALUE})")
    String spin;

    @Mixin
    OutputOption output;

    @Option(names = "--producers", defaultValue = "1", paramLabel = "N",
            description = "ring target: submitter threads (default: ${DEFAULT-VALUE}; 1 uses the single-submitter ring)")
    int producers;

    @Override
    public Integer call() throws IOException {
        if (direct && target != BenchTarget.engine) {
            throw usage("--direct: only with --target=engine (the image layers do not open files with O_DIRECT yet)");
        }
        long spinNanos = TimeOption.parse(spec, "--spin", spin).toNanos(); // refused before any file is made
        if (repeat < 1) {
            throw usage("--repeat must be at least 1, not " + repeat);
        }
        if (target == BenchTarget.ring) {
            return ringBench();
        }
        BenchSpec bench = benchSpec();
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
        BenchReport report = benchmark.run(resolveEngine(bench.iodepth()), repeat);
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            out.print(report.json());
        } else {
            report.human(out);
        }
        return UbdMain.OK;
    }

    /** The ring alone against an ArrayBlockingQueue: no file, no engine, no peer. */
    private Integer ringBench() {
        if (producers < 1) {
            throw usage("--producers must be at least 1, not " + producers);
        }
        try {
            RingBenchmark.compare(producers, repeat, spec.commandLine().getOut());
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
