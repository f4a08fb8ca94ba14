package org.ubdjvm.driver;

import java.util.function.Consumer;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.queue.RingConfig;

/**
 * What every device of one guest shares: the host engine, the format table, the ring shape, the barrier policy
 * for devices without {@code s}, where notices go, and whether every device skips the lock as {@code c} does
 * ({@code --force-share}).
 */
public record DeviceEnvironment(IoEngine engine, FormatTable formats, RingConfig ring, FlushMode barrierMode,
                                Consumer<String> warnings, boolean forceShare) {
    public DeviceEnvironment(IoEngine engine, FormatTable formats, RingConfig ring, FlushMode barrierMode,
                             Consumer<String> warnings) {
        this(engine, formats, ring, barrierMode, warnings, false);
    }

    public static DeviceEnvironment of(IoEngine engine) {
        return new DeviceEnvironment(engine, FormatTable.standard(), RingConfig.of("ubd"), FlushMode.SYNC_ON_BARRIER,
                w -> { });
    }

    public DeviceEnvironment withRing(RingConfig r) {
        return new DeviceEnvironment(engine, formats, r, barrierMode, warnings, forceShare);
    }

    public DeviceEnvironment withBarrierMode(FlushMode m) {
        return new DeviceEnvironment(engine, formats, ring, m, warnings, forceShare);
    }

    public DeviceEnvironment withWarnings(Consumer<String> w) {
        return new DeviceEnvironment(engine, formats, ring, barrierMode, w, forceShare);
    }

    public DeviceEnvironment withForceShare(boolean share) {
        return new DeviceEnvironment(engine, formats, ring, barrierMode, warnings, share);
    }
}
