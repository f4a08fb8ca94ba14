package org.ubdjvm.cow;

import java.io.IOException;

/**
 * Asked before each piece of a run copy is read: a background job answers how long to wait to keep to its speed, and
 * throws to stop (a cancel). Runs on the copying thread, which then waits itself, with nothing held back: the pieces
 * it already started go to the host first.
 */
@FunctionalInterface
public interface CopyPacer {
    /** Never waits, never stops: an offline commit. */
    CopyPacer NONE = issued -> 0;

    /**
     * @param issued bytes whose copy has been started so far, this piece excluded
     * @return nanoseconds to wait before this piece; 0 or less to start it now
     * @throws IOException to stop the copy; the pieces in flight complete first, then the copy throws this
     */
    long delayNanos(long issued) throws IOException;
}
