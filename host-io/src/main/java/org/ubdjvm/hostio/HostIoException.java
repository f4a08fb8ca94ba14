package org.ubdjvm.hostio;

import java.io.IOException;
import java.nio.file.Path;

/** A host I/O failure, always naming the file and what was being done, so callers can print it as one line. */
public final class HostIoException extends IOException {
    private final transient Path path;
    private final String reason;

    public HostIoException(Path path, String reason) {
        super(path + ": " + reason);
        this.path = path;
        this.reason = reason;
    }

    public HostIoException(Path path, String reason, Throwable cause) {
        super(path + ": " + reason, cause);
        this.path = path;
        this.reason = reason;
    }

    public Path path() {
        return path;
    }

    /** The message without the file name: for a caller that names the file otherwise. */
    public String reason() {
        return reason;
    }

    /** What an engine answers to a request that arrives after it was closed. */
    static HostIoException engineClosed(Path path, String verb, long position, String engine) {
        return new HostIoException(path, verb + " at offset " + position + " refused: engine " + engine + " is closed");
    }

    /** Turns a JDK exception into a message a user can act on ("no such file", "permission denied"). */
    static HostIoException wrap(Path path, String action, IOException e) {
        if (e instanceof HostIoException h) {
            return h;
        }
        String why;
        if (e instanceof java.nio.file.NoSuchFileException) {
            why = "no such file";
        } else if (e instanceof java.nio.file.AccessDeniedException) {
            why = "permission denied";
        } else if (e instanceof java.nio.file.FileAlreadyExistsException) {
            why = "file already exists";
        } else if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            why = Errno.describeText(f.getReason()); // its message repeats the file name
        } else {
            why = e.getMessage() == null ? e.getClass().getSimpleName() : Errno.describeText(e.getMessage());
        }
        return new HostIoException(path, action + ": " + why, e);
    }
}
