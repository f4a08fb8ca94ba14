package org.ubdjvm.hostio;

import java.nio.ByteBuffer;

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

    @Override
    void close();
}
