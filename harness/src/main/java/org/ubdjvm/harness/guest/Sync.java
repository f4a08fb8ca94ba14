package org.ubdjvm.harness.guest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.queue.RequestOp;

/** One request through a device's ring, waited for: for set-up steps, not for workloads. */
final class Sync {
    private Sync() {
    }

    /** The request's error, or null. */
    static IOException call(UbdDevice device, RequestOp op, long offset, ByteBuffer buf) throws InterruptedException {
        CompletableFuture<IOException> f = new CompletableFuture<>();
        device.submit(op, offset, buf, (r, e) -> f.complete(e));
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }
}
