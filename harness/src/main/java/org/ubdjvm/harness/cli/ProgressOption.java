package org.ubdjvm.harness.cli;

import org.ubdjvm.cow.ProgressListener;
import picocli.CommandLine.Option;

/**
 * {@code -p}, as qemu-img's: a {@link Progress} bar on stderr while a long job runs. Drawn only when stderr is a
 * terminal, never into a pipe or a file and never beside JSON output, so scripts read exactly what they read
 * without it.
 */
final class ProgressOption {
    @Option(names = "-p", description = "show a progress bar on stderr (only when it is a terminal)")
    boolean requested;

    /** A bar of {@code total} steps for {@code task}, or one that draws nothing. */
    Progress start(String task, long total, boolean json) {
        return Progress.of(task, total, json || !requested);
    }

    /** What cow-layers' long jobs report to, moving {@code bar}. */
    static ProgressListener listener(Progress bar) {
        return bar::stepTo;
    }
}
