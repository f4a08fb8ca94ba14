package org.ubdjvm.hostio;

import java.io.IOException;

/**
 * An engine cannot run on this host, with why as a {@link Reason} callers can act on (skip a test where the host
 * forbids io_uring, fall back, report) instead of matching message text. The message is one line naming the call
 * that failed and its errno, e.g. {@code io_uring_setup: ENOSYS (Function not implemented)}.
 */
public final class EngineUnavailableException extends IOException {
    /** Why an engine is unavailable. */
    public enum Reason {
        /** This kernel or platform lacks it: ENOSYS, a kernel too old, not Linux x86_64, no native access. */
        UNSUPPORTED,
        /** The host forbids it: EPERM or EACCES (a container's seccomp profile, {@code kernel.io_uring_disabled}). */
        FORBIDDEN,
        /** It exists but is out of a resource now: EAGAIN ({@code fs.aio-max-nr}), ENOMEM, EMFILE, ENFILE. */
        EXHAUSTED,
        /** Any other failure (an argument the kernel refused, a failed mapping). */
        FAILED;

        /** The reason an engine's setup call failing with {@code errno} gives. */
        static Reason of(int errno) {
            return switch (errno) {
                case Errno.ENOSYS, Errno.EOPNOTSUPP -> UNSUPPORTED;
                case Errno.EPERM, Errno.EACCES -> FORBIDDEN;
                case Errno.EAGAIN, Errno.ENOMEM, Errno.EMFILE, Errno.ENFILE -> EXHAUSTED;
                default -> FAILED;
            };
        }
    }

    private final Reason reason;

    public EngineUnavailableException(String message, Reason reason) {
        super(message);
        this.reason = reason;
    }

    public EngineUnavailableException(String message, Reason reason, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** The failure of an engine's setup call as one line: {@code io_setup: EAGAIN (Resource temporarily unavailable)}. */
    static EngineUnavailableException setupFailed(String what, int errno) {
        return new EngineUnavailableException(what + ": " + Errno.describe(errno), Reason.of(errno));
    }
}
