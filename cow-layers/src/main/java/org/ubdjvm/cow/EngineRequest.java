package org.ubdjvm.cow;

/**
 * Which engine a stack's files should go through, as its user asked for it (the driver's {@code A} and {@code M}
 * letters): a request, not an engine. {@link ImageOpener} turns it into one, so whoever asks never names an engine.
 *
 * @param kind        what is asked for
 * @param windowBytes for {@link Kind#MAPPED}: bytes mapped at a time, a positive multiple of the page size; else 0
 */
public record EngineRequest(Kind kind, int windowBytes) {
    /** What can be asked for. */
    public enum Kind {
        /** The engine every stack of the opener shares (the seed's default: AIO auto-detected). */
        SHARED,
        /** Plain pread/pwrite, no AIO (the seed's {@code A0}, for a host whose libc "is being fancy"). */
        SYNC,
        /** Asynchronous I/O, io_uring or else Linux AIO, and an error where the host has neither ({@code A1}). */
        ASYNC,
        /** Data copied to and from mapped windows of {@code windowBytes} (the seed's ubd-mmap, {@code M<b>.<d>}). */
        MAPPED
    }

    public static final EngineRequest SHARED = new EngineRequest(Kind.SHARED, 0);
    public static final EngineRequest SYNC = new EngineRequest(Kind.SYNC, 0);
    public static final EngineRequest ASYNC = new EngineRequest(Kind.ASYNC, 0);

    public EngineRequest {
        if (kind == null || (kind == Kind.MAPPED) != (windowBytes > 0) || windowBytes < 0) {
            throw new IllegalArgumentException("engine request " + kind + " with window " + windowBytes);
        }
    }

    public static EngineRequest mapped(int windowBytes) {
        return new EngineRequest(Kind.MAPPED, windowBytes);
    }
}
