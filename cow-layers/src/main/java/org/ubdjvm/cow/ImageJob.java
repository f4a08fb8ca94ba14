package org.ubdjvm.cow;

import java.io.IOException;
import java.util.function.Consumer;
import org.ubdjvm.hostio.IoEngine;

/** A job over a whole image that changes files in place (commit, rebase): what a command needs to run one. */
public interface ImageJob {
    /** Runs it; {@code engine} carries its I/O, notices go to {@code warnings}, bytes done to {@code progress}. */
    void run(FormatTable table, IoEngine engine, Consumer<String> warnings, ProgressListener progress) throws IOException;
}
