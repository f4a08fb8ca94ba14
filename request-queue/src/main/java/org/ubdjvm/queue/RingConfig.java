package org.ubdjvm.queue;

import java.time.Duration;

/**
 * @param name          names the worker thread and errors ("ubda")
 * @param size          slots, a power of two
 * @param maxInFlight   requests started and not yet completed, at most; the worker waits above it
 * @param backPressure  what submitters meet when the ring is full
 * @param spinWait      worker spins/yields for new requests (lowest latency, burns a core) instead of sleeping
 * @param singleSubmitter only one thread ever submits: the ring skips the multi-producer claim and availability
 *                      tracking (Disruptor's single-producer sequencer); submitting from two threads then corrupts it
 * @param requestTimeout a request the host has not answered after this long completes with
 *                      {@link RequestTimeoutException} (blk-mq's timeout; 30 s by default)
 */
public record RingConfig(String name, int size, int maxInFlight, BackPressure backPressure, boolean spinWait,
                         boolean singleSubmitter, Duration requestTimeout) {
    /** blk-mq's default request timeout. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    public RingConfig {
        if (size < 1 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("ring size must be a power of two: " + size);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be positive: " + maxInFlight);
        }
        if (requestTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("request timeout must be at least 1 ms: " + requestTimeout);
        }
    }

    public static RingConfig of(String name) {
        return new RingConfig(name, 1024, 128, BackPressure.BLOCK, false, false, DEFAULT_REQUEST_TIMEOUT);
    }

    public RingConfig withName(String n) {
        return new RingConfig(n, size, maxInFlight, backPressure, spinWait, singleSubmitter, requestTimeout);
    }

    public RingConfig withBackPressure(BackPressure bp) {
        return new RingConfig(name, size, maxInFlight, bp, spinWait, singleSubmitter, requestTimeout);
    }

    public RingConfig withSize(int s) {
        return new RingConfig(name, s, maxInFlight, backPressure, spinWait, singleSubmitter, requestTimeout);
    }

    public RingConfig withMaxInFlight(int m) {
        return new RingConfig(name, size, m, backPressure, spinWait, singleSubmitter, requestTimeout);
    }

    public RingConfig withSingleSubmitter(boolean single) {
        return new RingConfig(name, size, maxInFlight, backPressure, spinWait, single, requestTimeout);
    }

    public RingConfig withSpinWait(boolean spin) {
        return new RingConfig(name, size, maxInFlight, backPressure, spin, singleSubmitter, requestTimeout);
    }

    public RingConfig withRequestTimeout(Duration t) {
        return new RingConfig(name, size, maxInFlight, backPressure, spinWait, singleSubmitter, t);
    }
}
