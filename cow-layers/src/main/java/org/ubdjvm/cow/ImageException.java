package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Bad input: a corrupt or inconsistent image, a bad request, a backing file that does not match. The message is
 * one line naming the file, the field or offset, and the reason, ready for the CLI to print as is.
 */
public final class ImageException extends IOException {
    private final String reason;

    public ImageException(Path file, String reason) {
        super(file + ": " + reason);
        this.reason = reason;
    }

    public ImageException(Path file, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
        this.reason = reason;
    }

    /** The message without the file: for reports that name the file once, or errors that name another file. */
    public String reason() {
        return reason;
    }

    /**
     * A file name in double quotes, control characters escaped as {@code \xNN}: names come from headers, and a
     * corrupt one must not break the one-line message.
     */
    static String quote(Object name) {
        String s = String.valueOf(name);
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** A header field with a bad value, e.g. {@code cow.img: header field alignment (offset 24): must be ...}. */
    static ImageException field(Path file, String field, int offset, String reason) {
        return new ImageException(file, fieldReason(field, offset, reason));
    }

    /** The reason part of {@link #field}, for reports that name the file once. */
    static String fieldReason(String field, int offset, String reason) {
        return "header field " + field + " (offset " + offset + "): " + reason;
    }
}
