package org.ubdjvm.queue;

/**
 * @param name          names the worker thread and errors ("ubda")
 * @param size          slots, a power of two
 * @param maxInFlight   requests started and not yet completed, at most; the worker waits above it
 * @param backPressure  what submitters meet when the ring is full
 * @param spinWait      worker spins/yields for new requests (lowest latency, burns a core) instead of sleeping
 * @param singleSubmitter only one thread ever submits: the ring skips the multi-producer claim and availability
 *                      tracking (Disruptor's single-producer sequencer); submitting from two threads then corrupts it
 */
public record RingConfig(String name, int size, int maxInFlight, BackPressure backPressure, boolean spinWait,
                         boolean singleSubmitter) {
    public RingConfig {
        if (size < 1 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("ring size must be a power of two: " + size);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be positive: " + maxInFlight);
        }
    }

    public static RingConfig of(String name) {
        return new RingConfig(name, 1024, 128, BackPressure.BLOCK, false, false);
    }

    public RingConfig withName(String n) {
        return new RingConfig(n, size, maxInFlight, backPressure, spinWait, singleSubmitter);
    }

    public RingConfig withBackPressure(BackPressure bp) {
        return new RingConfig(name, size, maxInFlight, bp, spinWait, singleSubmitter);
    }

    public RingConfig withSize(int s) {
        return new RingConfig(name, s, maxInFlight, backPressure, spinWait, singleSubmitter);
    }

    public RingConfig withMaxInFlight(int m) {
        return new RingConfig(name, size, m, backPressure, spinWait, singleSubmitter);
    }

    public RingConfig withSingleSubmitter(boolean single) {
        return new RingConfig(name, size, maxInFlight, backPressure, spinWait, single);
    }

    public RingConfig withSpinWait(boolean spin) {
        return new RingConfig(name, size, maxInFlight, backPressure, spin, singleSubmitter);
    }
}
