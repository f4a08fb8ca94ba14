package org.ubdjvm.driver;

import java.util.function.Consumer;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.queue.RingConfig;

/**
 * What every device of one guest shares: the opener of image stacks (the format table and the host engine, which
 * the composition root chose), the ring shape, the barrier policy for devices without {@code s}, where notices go,
 * and whether every device skips the lock as {@code c} does ({@code --force-share}). The driver asks the opener for
 * an engine by kind ({@link DeviceSpec#engineRequest()}), never builds one.
 */
public record DeviceEnvironment(ImageOpener images, RingConfig ring, FlushMode barrierMode,
                                Consumer<String> warnings, boolean forceShare) {
    public static DeviceEnvironment of(ImageOpener images) {
        return new DeviceEnvironment(images, RingConfig.of("ubd"), FlushMode.SYNC_ON_BARRIER, w -> { }, false);
    }

    public DeviceEnvironment withRing(RingConfig r) {
        return new DeviceEnvironment(images, r, barrierMode, warnings, forceShare);
    }

    public DeviceEnvironment withBarrierMode(FlushMode m) {
        return new DeviceEnvironment(images, ring, m, warnings, forceShare);
    }

    public DeviceEnvironment withWarnings(Consumer<String> w) {
        return new DeviceEnvironment(images, ring, barrierMode, w, forceShare);
    }

    public DeviceEnvironment withForceShare(boolean share) {
        return new DeviceEnvironment(images, ring, barrierMode, warnings, share);
    }
}
