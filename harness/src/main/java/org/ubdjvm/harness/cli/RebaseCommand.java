package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ubdjvm.cow.ImageRebase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ubd rebase}: qemu-img rebase; the work is cow-layers' {@link ImageRebase}. */
@Command(name = "rebase", description = {"Give FILE a new backing file NEW; FILE reads the same afterwards",
        "(what differs between the old chain and NEW is first copied into FILE), unless -u.",
        "  ubd rebase -b base.img top.cow      # off a middle layer onto the base",
        "  ubd rebase -u -b moved/back.img top.cow"})
final class RebaseCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-f", paramLabel = "FMT", description = "format of FILE; probed when left out")
    String format;

    @Option(names = "-b", paramLabel = "NEW", required = true, description = "the new backing file")
    Path newBacking;

    @Option(names = "-F", paramLabel = "FMT", description = "format of NEW; probed when left out")
    String backingFormat;

    @Option(names = "-u", description = "unsafe: only rewrite the header; NEW must hold what the old backing held")
    boolean unsafe;

    @Mixin
    JobOptions job;

    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws IOException {
        return job.run("rebase", new ImageRebase(file, format, newBacking, backingFormat, unsafe), spec.commandLine().getErr());
    }
}
