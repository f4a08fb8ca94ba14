package org.ubdjvm.cow;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * How long {@link BlockIo} waits for a completion, and what to say when it gives up: {@code inFlight} describes
 * what the engine holds (its {@code describeInFlight()}), so a timeout names the stuck request and the kernel
 * queue's state instead of hanging.
 */
public record WaitLimit(Duration timeout, Supplier<String> inFlight) {
    /** blk-mq's request timeout; nothing to add to the message. */
    public static final WaitLimit DEFAULT = new WaitLimit(Duration.ofSeconds(30), () -> "");

    public WaitLimit {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("a wait limit must be positive: " + timeout);
        }
    }
}
