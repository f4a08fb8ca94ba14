package org.ubdjvm.harness.cli;

import java.time.Duration;
import org.ubdjvm.harness.AccessPattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The workload options {@code ubd run} and {@code ubd bench} share, with fio's names. Each command makes its own
 * instance with its own defaults, which picocli shows as the defaults.
 */
final class WorkloadOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--rw", paramLabel = "MODE",
            description = "read, write, randread, randwrite; for run also rw, randrw (mixed) (default: ${DEFAULT-VALUE})")
    AccessPattern rw;

    @Option(names = "--bs", paramLabel = "SIZE", description = "block size (default: ${DEFAULT-VALUE})")
    String bs = "4k";

    @Option(names = "--iodepth", paramLabel = "N",
            description = "requests in flight per submitter thread (default: ${DEFAULT-VALUE})")
    int iodepth;

    @Option(names = "--runtime", paramLabel = "TIME", description = "how long, e.g. 300ms, 5s, 1m (default: ${DEFAULT-VALUE})")
    String runtime;

    WorkloadOptions(AccessPattern rw, int iodepth, String runtime) {
        this.rw = rw;
        this.iodepth = iodepth;
        this.runtime = runtime;
    }

    Duration runtime() {
        return TimeOption.parse(command, "--runtime", runtime);
    }
}
