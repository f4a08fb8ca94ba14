package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ubdjvm.cow.ImageCommit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ubd commit}: qemu-img commit, {@code uml_moo -d}, the seed's {@code U}. The work is cow-layers'
 * {@link ImageCommit}; killed anywhere, the image still reads what it read, and running this again finishes it.
 */
@Command(name = "commit", description = {"Merge FILE (and the layers down to BASE) into the layer below, in place.",
        "FILE is emptied afterwards unless -d; with -b, -d is implied. Interrupted, FILE still reads as before;",
        "run the same command again to finish (the kernel refuses FILE until then).",
        "  ubd commit top.cow",
        "  ubd commit -b base.img top.cow"})
final class CommitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-f", paramLabel = "FMT", description = "format of FILE (raw, cow); probed when left out")
    String format;

    @Option(names = "-b", paramLabel = "BASE",
            description = "the layer of FILE's backing chain to commit into (default: FILE's backing file)")
    Path base;

    @Option(names = "-d", description = "keep FILE's contents instead of emptying it (qemu-img's -d)")
    boolean keep;

    @Mixin
    JobOptions job;

    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws IOException {
        return job.run("commit", new ImageCommit(file, format, base, keep), spec.commandLine().getErr());
    }
}
