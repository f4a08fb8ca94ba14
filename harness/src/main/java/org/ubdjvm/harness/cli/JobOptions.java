package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.PrintWriter;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageJob;
import org.ubdjvm.harness.Warnings;
import org.ubdjvm.hostio.IoEngine;
import picocli.CommandLine.Mixin;

/** {@code --engine} and {@code -p} for commands that run one cow-layers {@link ImageJob} (commit, rebase). */
final class JobOptions {
    @Mixin
    EngineOption engine;

    @Mixin
    ProgressOption progress;

    /** Runs {@code job} on the chosen engine, warnings and the bar (named {@code task}) on {@code err}. */
    int run(String task, ImageJob job, PrintWriter err) throws IOException {
        try (IoEngine e = engine.open(err); Progress bar = progress.start(task, 1, false)) {
            job.run(FormatTable.standard(), e, Warnings.to(err), ProgressOption.listener(bar));
        }
        return UbdMain.OK;
    }
}
