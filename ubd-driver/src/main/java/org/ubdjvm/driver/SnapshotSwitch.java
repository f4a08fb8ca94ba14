package org.ubdjvm.driver;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
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
    private final Map<String, String> options;

    SnapshotSwitch(UbdDevice device, Path newTop, String format, Map<String, String> options) {
        this.device = device;
        this.newTop = newTop;
        this.format = format;
        this.options = Map.copyOf(options);
    }

    @Override
    public void atBarrier() throws IOException {
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
                CreateSpec.of(newTop, fmt).withBacking(belowFile).withOptions(options).withWarnings(env.warnings()),
                open,
                device.spec().engineRequest(), below);
        top.switchTo(opened.image(), newTop);
    }
}
