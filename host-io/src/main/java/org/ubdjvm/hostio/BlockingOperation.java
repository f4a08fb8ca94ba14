package org.ubdjvm.hostio;

/** An operation that runs to its end on the caller's thread: the sync and mmap engines are made of these. */
@FunctionalInterface
interface BlockingOperation {
    /** Bytes transferred (0 for a datasync). */
    long run() throws HostIoException;

    /**
     * Runs {@code op} and reports its outcome to {@code done} exactly once. The callback is called outside the try,
     * so an exception thrown by the callback itself is the caller's, not reported a second time as an I/O error.
     */
    static void complete(IoCompletion done, BlockingOperation op) {
        long result;
        try {
            result = op.run();
        } catch (HostIoException e) {
            done.done(0, e);
            return;
        }
        done.done(result, null);
    }
}
