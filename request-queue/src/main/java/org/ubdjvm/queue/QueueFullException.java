package org.ubdjvm.queue;

import java.io.IOException;

/** A fail-fast ring had no free slot. */
public final class QueueFullException extends IOException {
    public QueueFullException(String ring, int size) {
        super(ring + ": request queue full (" + size + " slots)");
    }
}
