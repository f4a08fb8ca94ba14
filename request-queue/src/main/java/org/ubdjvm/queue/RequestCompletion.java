package org.ubdjvm.queue;

import java.io.IOException;

/** Called once when a request ends, on whatever thread finished it. */
@FunctionalInterface
public interface RequestCompletion {
    /** @param error null on success */
    void completed(long result, IOException error);
}
