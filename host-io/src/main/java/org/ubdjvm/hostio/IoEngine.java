package org.ubdjvm.hostio;

import java.nio.ByteBuffer;

/**
 * Asynchronous host I/O: submit, then a completion. Engines (sync today; io_uring, aio and mmap next) plug in
 * behind this without changing callers. Completions may run on the submitting thread (sync engine) or on an
 * engine thread; callers must not assume either.
 *
 * <p>A read fills {@code dst} up to its limit or to end of file and reports the bytes read. A write writes all of
 * {@code src}. The buffers belong to the engine until the completion runs.
 */
public interface IoEngine extends AutoCloseable {
    String name();

    void read(HostFile file, ByteBuffer dst, long position, IoCompletion done);

    void write(HostFile file, ByteBuffer src, long position, IoCompletion done);

    /** fdatasync of {@code file}. */
    void datasync(HostFile file, IoCompletion done);

    /** Pushes operations queued since the last call to the host in one go (one syscall for a batch). */
    default void submit() {
    }

    @Override
    void close();
}
