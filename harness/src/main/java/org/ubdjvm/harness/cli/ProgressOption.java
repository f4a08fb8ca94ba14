package org.ubdjvm.harness.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Option;

/**
 * {@code -p}, as qemu-img's: a progress bar on stderr while a long job runs. Shown only on a terminal, never into a
 * pipe or a file and never beside JSON output, so scripts read exactly what they read without it.
 */
final class ProgressOption {
    @Option(names = "-p", description = "show a progress bar on stderr (only when it is a terminal)")
    boolean requested;

    /** A bar for {@code task} on {@code err}, or nothing when not asked for, not on a terminal or {@code json}. */
    ProgressDisplay start(String task, PrintWriter err, boolean json) {
        return requested && !json && System.console() != null ? ProgressDisplay.shown(task, err) : ProgressDisplay.hidden();
    }
}
