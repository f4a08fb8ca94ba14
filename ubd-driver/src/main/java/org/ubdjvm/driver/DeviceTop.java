package org.ubdjvm.driver;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.ubdjvm.cow.BlockImage;

/**
 * The top of a device's stack, which a live snapshot replaces at a held barrier of the ring, shared by the disk's
 * device and its partitions' so they all follow the switch. The handler is the ring's, which reads its own copy on
 * every request; this copy serves everything that does not travel the ring (size, allocation, close).
 */
final class DeviceTop {
    private final ImageRequestHandler handler;
    private final DeviceEnvironment env;
    private volatile BlockImage image;
    private volatile Path file;

    DeviceTop(BlockImage image, Path file, ImageRequestHandler handler, DeviceEnvironment env) {
        this.image = image;
        this.file = file;
        this.handler = handler;
        this.env = env;
    }

    BlockImage image() {
        return image;
    }

    /** The file of the top layer: the device's own until a snapshot. */
    Path file() {
        return file;
    }

    DeviceEnvironment environment() {
        return env;
    }

    /** Whether the ring's barrier flush syncs this stack; under {@link FlushMode#NONE} it completes at once. */
    boolean barrierSyncs() {
        return handler.barrierSyncs();
    }

    /**
     * On the ring's worker, at the held barrier: later requests go to {@code newTop}, made from {@code newFile}; its
     * flushes complete only after {@code settled} (the old top made durable beneath it).
     */
    void switchTo(BlockImage newTop, Path newFile, CompletableFuture<Void> settled) {
        handler.switchTo(newTop, settled);
        image = newTop;
        file = newFile;
    }
}
