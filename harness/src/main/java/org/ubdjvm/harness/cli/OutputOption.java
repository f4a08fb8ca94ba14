package org.ubdjvm.harness.cli;

import picocli.CommandLine.Option;

/** {@code --output=human|json}, as qemu-img's: every command that reports takes it the same way. */
final class OutputOption {
    enum Format { human, json }

    @Option(names = "--output", defaultValue = "human", paramLabel = "FMT",
            description = "human or json (default: ${DEFAULT-VALUE})")
    Format format;

    boolean json() {
        return format == Format.json;
    }
}
