package org.ubdjvm.cow;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.ubdjvm.hostio.IoCompletion;

/**
 * Completes one request after all of its parts (runs of sectors served by different layers) complete. The count
 * starts at one for the caller, so parts finishing while others are still being issued cannot complete it early.
 */
public final class Join implements IoCompletion {
    private final AtomicInteger pending = new AtomicInteger(1);
    private final IoCompletion done;
    private final long result;
    private volatile IOException error;

    public Join(IoCompletion done, long result) {
        this.done = done;
        this.result = result;
    }

    /** Call before issuing each part. */
    public void fork() {
        pending.incrementAndGet();
    }

    /** Call once after every part was issued. */
    public void arm() {
        done(0, null);
    }

    @Override
    public void done(long ignored, IOException e) {
        if (e != null && error == null) {
            error = e;
        }
        if (pending.decrementAndGet() == 0) {
            IOException first = error;
            done.done(first == null ? result : 0, first);
        }
    }
}
