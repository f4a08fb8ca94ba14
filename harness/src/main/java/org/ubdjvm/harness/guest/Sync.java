package org.ubdjvm.harness.guest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.queue.RequestOp;

/** One request through a device's ring, waited for: for set-up steps, not for workloads. */
final class Sync {
    /** Past the device's request timeout, which fails the request itself: only a broken ring gets this far. */
    private static final Duration MARGIN = Duration.ofSeconds(10);

    private Sync() {
    }

    /** The request's error (ETIMEDOUT after the device's request timeout), or null. */
    static IOException call(UbdDevice device, RequestOp op, long offset, ByteBuffer buf) throws InterruptedException {
        CompletableFuture<IOException> f = new CompletableFuture<>();
        device.submit(op, offset, buf, (r, e) -> f.complete(e));
        try {
            return f.get(backstop(device).toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (TimeoutException e) {
            return new IOException(device.name() + ": " + op.name().toLowerCase(java.util.Locale.ROOT) + " at offset "
                    + offset + " never completed, not even after the " + device.requestTimeout().toSeconds()
                    + " s request timeout; in flight: " + device.describeInFlight());
        }
    }

    /** How long a guest waits for any one completion of {@code device} before it calls the ring broken. */
    static Duration backstop(UbdDevice device) {
        return device.requestTimeout().multipliedBy(2).plus(MARGIN);
    }
}
