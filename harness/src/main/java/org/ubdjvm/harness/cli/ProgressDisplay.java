package org.ubdjvm.harness.cli;

import java.io.PrintWriter;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.ubdjvm.cow.Progress;

/**
 * One progress bar (me.tongfei:progressbar: rate, ETA and redraws throttled by the library) on a command's stderr,
 * or nothing. Any command's long job takes it as a {@link Progress}; get one from {@link ProgressOption#start}.
 */
final class ProgressDisplay implements Progress, AutoCloseable {
    private static final int DEFAULT_WIDTH = 80;
    private static final long MIB = 1 << 20;

    private final ProgressBar bar;
    private final PrintWriter err;

    private ProgressDisplay(ProgressBar bar, PrintWriter err) {
        this.bar = bar;
        this.err = err;
    }

    static ProgressDisplay hidden() {
        return new ProgressDisplay(null, null);
    }

    /** A bar in MiB; it redraws on {@code err} with a carriage return and ends its line when closed. */
    static ProgressDisplay shown(String task, PrintWriter err) {
        DelegatingProgressBarConsumer line = new DelegatingProgressBarConsumer(text -> {
            err.print('\r' + text);
            err.flush();
        }, width());
        ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(0).setUnit("MiB", MIB)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(line).showSpeed().build();
        return new ProgressDisplay(bar, err);
    }

    private static int width() {
        try {
            return Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "")) - 1;
        } catch (NumberFormatException unset) {
            return DEFAULT_WIDTH - 1;
        }
    }

    @Override
    public void update(long done, long total) {
        if (bar != null) {
            bar.maxHint(total);
            bar.stepTo(done);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            err.println();
            err.flush();
        }
    }
}
