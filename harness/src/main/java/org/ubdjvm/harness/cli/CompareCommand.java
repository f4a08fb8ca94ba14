package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.tool.CompareFailure;
import org.ubdjvm.cow.tool.Comparison;
import org.ubdjvm.cow.tool.ImageCompare;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ubd compare}: qemu-img compare, its messages and exit codes (cow-layers' {@link ImageCompare}). Both images
 * are opened read-only.
 */
@Command(name = "compare", description = {"Compare the disks of two images, of any formats.",
        "Exit codes are qemu-img compare's: 0 identical, 1 different, 2 an image could not be opened,"
                + " 3 an allocation query failed, 4 a read failed.",
        "  ubd compare disk.cow merged.img",
        "  ubd compare -s -q a.cow b.cow"},
        exitCodeListHeading = "%nExit codes (qemu-img compare's):%n",
        exitCodeList = {"0:identical", "1:different", "2:an image could not be opened (or bad usage)",
                "3:an allocation query failed", "4:a read failed"})
final class CompareCommand implements Callable<Integer> {
    static final int IDENTICAL = 0;
    static final int DIFFERENT = 1;
    static final int OPEN_ERROR = 2;
    static final int ALLOCATION_ERROR = 3;
    static final int READ_ERROR = 4;

    @Spec
    CommandSpec spec;

    @Option(names = "-f", paramLabel = "FMT", description = "format of A; probed when left out")
    String formatA;

    @Option(names = "-F", paramLabel = "FMT", description = "format of B; probed when left out")
    String formatB;

    @Option(names = "-s", description = "strict: different sizes, or a run held by different layers, differ")
    boolean strict;

    @Option(names = "-q", description = "quiet: print nothing but errors")
    boolean quiet;

    @Mixin
    ForceShareOption share;

    @Parameters(index = "0", paramLabel = "A")
    Path a;

    @Parameters(index = "1", paramLabel = "B")
    Path b;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (IoEngine engine = new SyncEngine()) {
            BlockImage first;
            try {
                first = ImageOptions.openReadOnly(a, formatA, share.forceShare, engine, err);
            } catch (IOException e) {
                return failed(err, e, OPEN_ERROR);
            }
            try (BlockImage x = first; BlockImage y = ImageOptions.openReadOnly(b, formatB, share.forceShare, engine, err)) {
                return report(ImageCompare.compare(x, y, strict, (done, total) -> { }),
                        Math.min(x.capacity(), y.capacity()), quiet ? new PrintWriter(PrintWriter.nullWriter()) : out);
            } catch (CompareFailure e) {
                return failed(err, e, e.step() == CompareFailure.Step.ALLOCATION ? ALLOCATION_ERROR : READ_ERROR);
            } catch (IOException e) {
                return failed(err, e, OPEN_ERROR);
            }
        }
    }

    private static int failed(PrintWriter err, IOException e, int code) {
        err.println("ubd: " + e.getMessage());
        return code;
    }

    /** qemu-img compare's sentences, on stdout. */
    private static int report(Comparison c, long common, PrintWriter out) {
        if (c.sizesDiffer() && (c.identical() || c.offset() >= common)
                && c.verdict() != Comparison.Verdict.SIZE_MISMATCH) {
            out.println("Warning: Image size mismatch!");
        }
        switch (c.verdict()) {
            case IDENTICAL -> out.println("Images are identical.");
            case CONTENT_MISMATCH -> out.println("Content mismatch at offset " + c.offset() + "!");
            case SIZE_MISMATCH -> out.println("Strict mode: Image size mismatch!");
            case ALLOCATION_MISMATCH -> out.println("Strict mode: Offset " + c.offset() + " block status mismatch!");
        }
        out.flush();
        return c.identical() ? IDENTICAL : DIFFERENT;
    }
}
