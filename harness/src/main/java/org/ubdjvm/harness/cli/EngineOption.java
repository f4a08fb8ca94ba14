package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.PrintWriter;
import org.ubdjvm.harness.Warnings;
import org.ubdjvm.hostio.EngineSelection;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;
import picocli.CommandLine.Option;

/** {@code --engine}: which host I/O engine carries the requests; {@code auto} says why it passed over a faster one. */
final class EngineOption {
    @Option(names = "--engine", defaultValue = IoEngines.AUTO, paramLabel = "NAME",
            description = "auto, io_uring, aio, mmap, sync or none (= sync: AIO off) (default: ${DEFAULT-VALUE})")
    String name;

    /** The engine to use; a forced engine that cannot run is an error, a fallback of auto is a warning. */
    IoEngine open(PrintWriter err) throws IOException {
        try {
            return open(IoEngines.DEFAULT_QUEUE_DEPTH, err);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * As {@link #open(PrintWriter)}, for {@code queueDepth} requests in flight.
     *
     * @throws IllegalArgumentException an unknown name, for the caller to report as it reports usage errors
     */
    IoEngine open(int queueDepth, PrintWriter err) throws IOException {
        EngineSelection selection = IoEngines.select(name, queueDepth);
        if (selection.fellBack()) {
            Warnings.to(err).accept("engine " + name + " fell back to " + selection.engine().name() + ": "
                    + selection.fallbackReason());
        }
        return selection.engine();
    }
}
