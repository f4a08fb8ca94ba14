package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Bad input: a corrupt or inconsistent image, a bad request, a backing file that does not match. The message is
 * one line naming the file, the field or offset, and the reason, ready for the CLI to print as is.
 */
public final class ImageException extends IOException {
    public ImageException(Path file, String reason) {
        super(file + ": " + reason);
    }

    public ImageException(Path file, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
    }

    /** A header field with a bad value, e.g. {@code cow.img: header field alignment (offset 24): must be ...}. */
    static ImageException field(Path file, String field, int offset, String reason) {
        return new ImageException(file, "header field " + field + " (offset " + offset + "): " + reason);
    }
}
