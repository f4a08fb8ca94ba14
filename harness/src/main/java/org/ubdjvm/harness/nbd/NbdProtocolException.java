package org.ubdjvm.harness.nbd;

import java.io.IOException;

/** The client broke the protocol in a way the server cannot answer: the connection is dropped (hard disconnect). */
final class NbdProtocolException extends IOException {
    NbdProtocolException(String message) {
        super(message);
    }
}
