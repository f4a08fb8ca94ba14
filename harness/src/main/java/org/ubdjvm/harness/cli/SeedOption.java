package org.ubdjvm.harness.cli;

import picocli.CommandLine.Option;

/** {@code --seed}: where the random choices start, so that a run can be repeated exactly; each command its default. */
final class SeedOption {
    @Option(names = "--seed", paramLabel = "N", description = "seed of the random choices (default: ${DEFAULT-VALUE})")
    long seed;

    SeedOption(long seed) {
        this.seed = seed;
    }
}
