package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr for work that takes more than a second, drawn only when stderr is a terminal and the
 * output is for people: never into JSON, a pipe, a file or a test's writer.
 */
final class Progress implements AutoCloseable {
    /** Null when nothing is drawn, or once closed. */
    private ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /** A bar of {@code total} steps named {@code task}, or, when {@code off} (JSON output...), one that draws nothing. */
    static Progress of(String task, long total, boolean off) {
        if (off || !stderrIsTerminal()) {
            return new Progress(null);
        }
        return new Progress(new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setUpdateIntervalMillis(200).build());
    }

    /** Java has no isatty for stderr; on Linux its descriptor names the terminal it is. */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    void stepTo(long done) {
        if (bar != null) {
            bar.stepTo(done);
        }
    }

    /** For a job that learns its total as it goes (commit knows it once it has the allocation map). */
    void stepTo(long done, long total) {
        if (bar != null) {
            bar.maxHint(total);
            bar.stepTo(done);
        }
    }

    void extraMessage(String message) {
        if (bar != null) {
            bar.setExtraMessage(message);
        }
    }

    /** Ends the bar (its last state stays on the terminal); closing again does nothing. */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
