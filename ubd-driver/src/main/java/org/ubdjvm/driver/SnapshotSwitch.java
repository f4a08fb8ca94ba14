package org.ubdjvm.driver;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.OpenedImage;
import org.ubdjvm.queue.HeldBarrier;

/**
 * A live snapshot's work at the held barrier. The new file is made here, not before: its header records the old
 * top's size and mtime, which are final only once the last write to it has been flushed.
 */
final class SnapshotSwitch implements HeldBarrier {
    private final UbdDevice device;
    private final Path newTop;
    private final String format;
    /** Written on the ring's worker; read after the barrier's completion, which publishes them. */
    private long drainNanos;
    private long flushNanos;
    private long createNanos;
    private long switchNanos;

    SnapshotSwitch(UbdDevice device, Path newTop, String format) {
        this.device = device;
        this.newTop = newTop;
        this.format = format;
    }

    @Override
    public void drained(long drainNanos, long flushNanos) {
        this.drainNanos = drainNanos;
        this.flushNanos = flushNanos;
    }

    /** The phases measured at the barrier, once its completion has come; {@code pause} is the ring's figure. */
    SnapshotTiming timing(long pauseNanos, long preflushNanos) {
        return new SnapshotTiming(Duration.ofNanos(pauseNanos), Duration.ofNanos(preflushNanos), Duration.ZERO,
                Duration.ofNanos(drainNanos), Duration.ofNanos(flushNanos), Duration.ofNanos(createNanos),
                Duration.ofNanos(switchNanos), Duration.ZERO);
    }

    @Override
    public void atBarrier() throws IOException {
        long start = System.nanoTime();
        DeviceTop top = device.top();
        DeviceEnvironment env = top.environment();
        FormatTable formats = env.images().formats();
        String fmt = format != null ? format : formats.layerFormat().name();
        BlockImage below = top.image();
        if (!top.barrierSyncs()) {
            BlockIo.flush(below); // the barrier did not sync (FlushMode.NONE), and the new header needs it done
        }
        Path belowFile = top.file().toAbsolutePath();
        DeviceFlags flags = device.spec().flags();
        OpenSpec open = OpenSpec.of(newTop).withFormat(fmt)
                .withSyncWrites(flags.syncWrites())
                .withForceShare(flags.shared() || env.forceShare())
                .withWarnings(env.warnings());
        OpenedImage opened = env.images().createAbove(
                CreateSpec.of(newTop, fmt).withBacking(belowFile).withWarnings(env.warnings()), open,
                device.spec().engineRequest(), below);
        long created = System.nanoTime();
        createNanos = created - start;
        top.switchTo(opened.image(), newTop);
        switchNanos = System.nanoTime() - created;
    }
}
