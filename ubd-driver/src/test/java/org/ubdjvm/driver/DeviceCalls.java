package org.ubdjvm.driver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.ubdjvm.queue.RequestOp;

/** A request to a device, waited for: what the driver's tests do one request at a time. */
final class DeviceCalls {
    private DeviceCalls() {
    }

    /** Submits one request and waits for it (30 s at most); returns its error, or null. */
    static IOException call(UbdDevice d, RequestOp op, long offset, ByteBuffer buf) throws Exception {
        CompletableFuture<IOException> f = new CompletableFuture<>();
        d.submit(op, offset, buf, (r, e) -> f.complete(e));
        return f.get(30, TimeUnit.SECONDS);
    }
}
