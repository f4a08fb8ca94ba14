package org.ubdjvm.queue;

/**
 * @param name          names the worker thread and errors ("ubda")
 * @param size          slots, a power of two
 * @param maxInFlight   requests started and not yet completed, at most; the worker waits above it
 * @param backPressure  what submitters meet when the ring is full
 * @param spinWait      worker spins/yields for new requests (lowest latency, burns a core) instead of sleeping
 */
public record RingConfig(String name, int size, int maxInFlight, BackPressure backPressure, boolean spinWait) {
    public RingConfig {
        if (size < 1 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("ring size must be a power of two: " + size);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be positive: " + maxInFlight);
        }
    }

    public static RingConfig of(String name) {
        return new RingConfig(name, 1024, 128, BackPressure.BLOCK, false);
    }

    public RingConfig withName(String n) {
        return new RingConfig(n, size, maxInFlight, backPressure, spinWait);
    }

    public RingConfig withBackPressure(BackPressure bp) {
        return new RingConfig(name, size, maxInFlight, bp, spinWait);
    }

    public RingConfig withSize(int s) {
        return new RingConfig(name, s, maxInFlight, backPressure, spinWait);
    }

    public RingConfig withMaxInFlight(int m) {
        return new RingConfig(name, size, m, backPressure, spinWait);
    }

    public RingConfig withSpinWait(boolean spin) {
        return new RingConfig(name, size, maxInFlight, backPressure, spin);
    }
}
