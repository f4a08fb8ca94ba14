package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceTable;
import org.ubdjvm.driver.UbdOptionException;
import org.ubdjvm.harness.ByteSize;
import org.ubdjvm.harness.guest.Guest;
import org.ubdjvm.harness.guest.RunResult;
import org.ubdjvm.harness.guest.WorkloadSpec;
import org.ubdjvm.hostio.IoEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ubd demo}: builds raw + V1 + V2 + V3 in a temporary folder, reads every sector back through the chain,
 * flushes, reopens and reads again; then runs a verified guest workload on the top through ring and driver.
 */
@Command(name = "demo", description = {"Build a 4-layer stack (raw, COW V1, V2, V3) in a temporary folder,",
        "write a pattern into each layer and verify every sector through the chain, before and after reopening;",
        "then run a verified guest workload on it as ubd0, through the request ring and the driver."})
final class DemoCommand implements Callable<Integer> {
    private static final int GUEST_THREADS = 2;
    private static final int GUEST_DEPTH = 8;
    private static final long GUEST_OPS = 5000;

    @Spec
    CommandSpec spec;

    @Mixin
    SeedOption seed = new SeedOption(2004);

    @Option(names = "--keep", description = "keep the files and print where they are")
    boolean keep;

    @Mixin
    EngineOption engineOption;

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        PrintWriter out = spec.commandLine().getOut();
        Path dir = Files.createTempDirectory("ubd-demo-");
        try (IoEngine engine = engineOption.open(spec.commandLine().getErr());
             Progress progress = Progress.of("demo", 4, false)) {
            // the demo makes V1 and V2 on purpose: their "obsolete" warnings would only be noise here
            DemoStack stack = new DemoStack(dir, engine, seed.seed, w -> { });
            Path top = stack.build();
            progress.stepTo(1);
            DemoStack.Check before;
            try (BlockImage disk = stack.open(top, false)) {
                before = stack.verify(disk);
                BlockIo.flush(disk);
            }
            progress.stepTo(2);
            DemoStack.Check after;
            List<ImageInfo> chain;
            try (BlockImage disk = stack.open(top, true)) {
                after = stack.verify(disk);
                chain = DemoStack.chain(disk);
            }
            progress.stepTo(3);
            RunResult guest = guestWorkload(top, engine);
            progress.stepTo(4);
            progress.close(); // the bar ends before the report starts
            long mismatches = before.mismatches() + after.mismatches() + guest.mismatches() + guest.errors();
            report(out, dir, stack, chain, before, after);
            out.printf("guest: %d threads x iodepth %d, 4 KiB random 50%% reads through ring -> ubda -> stack:"
                            + " %d reads, %d writes, %d flushes, %d sectors verified%n", GUEST_THREADS, GUEST_DEPTH,
                    guest.reads(), guest.writes(), guest.flushes(), guest.verifiedSectors());
            out.printf("guest: %.0f iops, latency p50 %.0f us, p99 %.0f us, p99.9 %.0f us%n", guest.iops(),
                    guest.p50Micros(), guest.p99Micros(), guest.p999Micros());
            guest.firstProblems().forEach(p -> out.printf("  %s%n", p));
            out.printf("mismatches: %d%n", mismatches);
            out.printf("engine: %s%n", engine.name());
            out.printf("elapsed: %d ms (seed %d)%n", (System.nanoTime() - start) / 1_000_000, seed.seed);
            return mismatches == 0 ? UbdMain.OK : UbdMain.MISMATCH;
        } finally {
            if (!keep) {
                deleteTree(dir);
            }
        }
    }

    /** The main job: a verified guest workload on the stack's top, as device ubd0, through the ring and driver. */
    private RunResult guestWorkload(Path top, IoEngine engine) throws IOException {
        WorkloadSpec w = new WorkloadSpec(true, 50, 4096, GUEST_DEPTH, GUEST_THREADS, Duration.ofSeconds(10),
                GUEST_OPS, 256, true, seed.seed);
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)))) {
            table.add("ubd0=" + top);
            return new Guest(table.all(), w).run();
        } catch (UbdOptionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private void report(PrintWriter out, Path dir, DemoStack stack, List<ImageInfo> chain, DemoStack.Check before,
                        DemoStack.Check after) {
        out.printf("built: %d layers, %s each, in %s%s%n", chain.size(), ByteSize.human(DemoStack.DISK_SIZE), dir,
                keep ? "" : " (removed)");
        for (int k = 0; k < chain.size(); k++) {
            ImageInfo layer = chain.get(k);
            Object layout = layer.formatSpecific().getOrDefault("layout", "");
            String what = "every sector written";
            if (k > 0) {
                DemoStack.Writes w = stack.writes().get(k - 1);
                what = String.format("over %s, %d writes, %d sectors", layer.backing().filename().getFileName(),
                        w.runs(), w.sectors());
            }
            out.printf("  %-15s %-3s %-3s %s%n", layer.filename().getFileName(), layer.format(), layout, what);
        }
        out.printf("checked: %d sectors through the chain, then %d again after flush and reopen%n",
                before.sectors(), after.sectors());
        for (DemoStack.Check c : List.of(before, after)) {
            if (c.mismatches() > 0) {
                out.printf("  first wrong sector: %d (%d sectors wrong)%n", c.firstBadSector(), c.mismatches());
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
