package org.ubdjvm.cow;

import java.io.IOException;

/** A format name no plug-in in the table answers to; names the known ones. */
public final class UnknownFormatException extends IOException {
    public UnknownFormatException(String message) {
        super(message);
    }
}
