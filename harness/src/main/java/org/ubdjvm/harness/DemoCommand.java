package org.ubdjvm.harness;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ubd demo}: builds raw + V1 + V2 + V3 in a temporary folder, reads every sector back through the chain,
 * flushes, reopens and reads again. A first check that this machine and this build do the job.
 */
@Command(name = "demo", description = {"Build a 4-layer stack (raw, COW V1, V2, V3) in a temporary folder,",
        "write a pattern into each layer and verify every sector through the chain, before and after reopening."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "2004",
            description = "seed of the random writes (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--keep", description = "keep the files and print where they are")
    boolean keep;

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        PrintWriter out = spec.commandLine().getOut();
        Path dir = Files.createTempDirectory("ubd-demo-");
        try (IoEngine engine = new SyncEngine()) {
            // the demo makes V1 and V2 on purpose: their "obsolete" warnings would only be noise here
            DemoStack stack = new DemoStack(dir, engine, seed, w -> { });
            Path top = stack.build();
            DemoStack.Check before;
            try (BlockImage disk = stack.open(top, false)) {
                before = stack.verify(disk);
                BlockIo.flush(disk);
            }
            DemoStack.Check after;
            List<ImageInfo> chain;
            try (BlockImage disk = stack.open(top, true)) {
                after = stack.verify(disk);
                chain = DemoStack.chain(disk);
            }
            int mismatches = before.mismatches() + after.mismatches();
            report(out, dir, stack, chain, before, after);
            out.printf("mismatches: %d%n", mismatches);
            out.printf("engine: %s%n", engine.name());
            out.printf("elapsed: %d ms (seed %d)%n", (System.nanoTime() - start) / 1_000_000, seed);
            return mismatches == 0 ? UbdMain.OK : UbdMain.MISMATCH;
        } finally {
            if (!keep) {
                deleteTree(dir);
            }
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
