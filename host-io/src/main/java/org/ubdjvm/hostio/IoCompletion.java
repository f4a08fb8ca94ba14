package org.ubdjvm.hostio;

import java.io.IOException;

/**
 * Called once when an I/O operation ends. One method with both outcomes so an engine can keep a single
 * preallocated callback per slot instead of a pair of lambdas per request.
 */
@FunctionalInterface
public interface IoCompletion {
    /**
     * @param result bytes transferred (reads: may be short at end of file), 0 for sync operations
     * @param error  null on success
     */
    void done(long result, IOException error);
}
