package org.ubdjvm.hostio;

import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * Asynchronous host I/O: queue, {@link #submit}, then a completion. Engines (sync, mmap, io_uring, aio; made by
 * {@link IoEngines}) plug in behind this without changing callers. Completions may run on the submitting thread
 * (sync, mmap) or on an engine thread (io_uring, aio); callers must not assume either, and must call
 * {@link #submit} after queueing or the request may never reach the host.
 *
 * <p>A read fills {@code dst} from its position up to its limit or to end of file and reports the bytes read. A
 * write writes all of {@code src}. The buffer's position is advanced past the bytes moved before the completion
 * runs. The buffers belong to the engine until the completion runs.
 */
public interface IoEngine extends AutoCloseable {
    String name();

    void read(HostFile file, ByteBuffer dst, long position, IoCompletion done);

    void write(HostFile file, ByteBuffer src, long position, IoCompletion done);

    /** fdatasync of {@code file}. */
    void datasync(HostFile file, IoCompletion done);

    /**
     * Deallocates a range so it reads as zeros (fallocate PUNCH_HOLE | KEEP_SIZE). Runs on the caller's thread in
     * every engine for now: it is rare and metadata-only; io_uring's FALLOCATE op can take it over later.
     */
    default void punchHole(HostFile file, long position, long length, IoCompletion done) {
        try {
            file.punchHole(position, length);
        } catch (HostIoException e) {
            done.done(0, e);
            return;
        }
        done.done(length, null);
    }

    /** Pushes operations queued since the last call to the host in one go (one syscall for a batch). */
    default void submit() {
    }

    /**
     * The calling thread starts a batch: its {@link #submit()} calls are held until {@link #unplug()}, so a batch
     * of requests reaches the kernel in one syscall (the kernel's {@code blk_plug}). Other threads, such as
     * completions issuing follow-up requests, are not held. Engines that complete inline ignore it.
     */
    default void plug() {
    }

    /** Ends the calling thread's batch and submits everything queued. */
    default void unplug() {
        submit();
    }

    /**
     * What this engine holds right now, for a timeout message: a summary line (and, for a kernel queue, its ring
     * indexes), then one line per request in flight: operation, file, offset, length, age. Empty when nothing is in
     * flight, and always for engines that complete a request before returning it (sync, mmap).
     */
    default String describeInFlight() {
        return "";
    }

    /**
     * Gives up on every request that has been in flight for at least {@code age}: its completion runs now with an
     * ECANCELED error naming it, and the kernel is asked to cancel it (io_uring's {@code IORING_OP_ASYNC_CANCEL},
     * aio's {@code io_cancel}). The request's slot and bounce buffer stay reserved until the kernel answers, and that
     * answer is dropped: it never reaches a later request nor the caller's heap buffer (a direct buffer, which the
     * kernel writes in place, may still change until then). For callers whose own deadline passed, such as the
     * driver's request timeout. Returns how many requests it gave up on.
     */
    default int cancelOlderThan(Duration age) {
        return 0;
    }

    @Override
    void close();
}
