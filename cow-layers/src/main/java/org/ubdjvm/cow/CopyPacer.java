package org.ubdjvm.cow;

import java.io.IOException;

/**
 * Asked before each piece of a run copy is read: a background job sleeps here to keep to its speed, and throws to
 * stop (a cancel). Runs on the copying thread.
 */
@FunctionalInterface
public interface CopyPacer {
    /** Never waits, never stops: an offline commit. */
    CopyPacer NONE = issued -> { };

    /**
     * @param issued bytes whose copy has been started so far, this piece excluded
     * @throws IOException to stop the copy; the pieces in flight complete first, then the copy throws this
     */
    void beforePiece(long issued) throws IOException;
}
