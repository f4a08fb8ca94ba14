package org.ubdjvm.driver;

import java.util.function.Consumer;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.cow.MetadataCacheOptions;
import org.ubdjvm.queue.RingConfig;

/**
 * What every device of one guest shares: the opener of image stacks (the format table and the host engine, which
 * the composition root chose), the ring shape, the barrier policy for devices without {@code s}, where notices go,
 * whether every device skips the lock as {@code c} does ({@code --force-share}), each layer's metadata cache size
 * and whether files are opened O_DIRECT. The driver asks the opener for
 * an engine by kind ({@link DeviceSpec#engineRequest()}), never builds one.
 */
public record DeviceEnvironment(ImageOpener images, RingConfig ring, FlushMode barrierMode,
                                Consumer<String> warnings, boolean forceShare, long metadataCacheBytes,
                                boolean direct) {
    public DeviceEnvironment(ImageOpener images, RingConfig ring, FlushMode barrierMode, Consumer<String> warnings,
                             boolean forceShare) {
        this(images, ring, barrierMode, warnings, forceShare, MetadataCacheOptions.DEFAULT.cacheBytes(), false);
    }

    public static DeviceEnvironment of(ImageOpener images) {
        return new DeviceEnvironment(images, RingConfig.of("ubd"), FlushMode.SYNC_ON_BARRIER, w -> { }, false);
    }

    /** Each layer's metadata cache for devices without {@code K<n>} ({@code --metadata-cache}). */
    public DeviceEnvironment withMetadataCacheBytes(long bytes) {
        return new DeviceEnvironment(images, ring, barrierMode, warnings, forceShare, bytes, direct);
    }

    /** Every device's files O_DIRECT, as {@code O} does ({@code --direct}). */
    public DeviceEnvironment withDirect(boolean d) {
        return new DeviceEnvironment(images, ring, barrierMode, warnings, forceShare, metadataCacheBytes, d);
    }

    public DeviceEnvironment withRing(RingConfig r) {
        return new DeviceEnvironment(images, r, barrierMode, warnings, forceShare, metadataCacheBytes,
                direct);
    }

    public DeviceEnvironment withBarrierMode(FlushMode m) {
        return new DeviceEnvironment(images, ring, m, warnings, forceShare, metadataCacheBytes,
                direct);
    }

    public DeviceEnvironment withWarnings(Consumer<String> w) {
        return new DeviceEnvironment(images, ring, barrierMode, w, forceShare, metadataCacheBytes,
                direct);
    }

    public DeviceEnvironment withForceShare(boolean share) {
        return new DeviceEnvironment(images, ring, barrierMode, warnings, share, metadataCacheBytes,
                direct);
    }
}
