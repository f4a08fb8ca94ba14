package org.ubdjvm.driver;

import java.io.IOException;
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
    /** A background commit's base, open read-write under the stack, which reads it through a lent reference. */
    private BlockImage lentBase;
    private Path lentBaseFile;
    /** The device's background job, running or ended; guarded by this. */
    private CommitJob job;

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

    synchronized CommitJob job() {
        return job;
    }

    synchronized void job(CommitJob j) {
        job = j;
    }

    /** The running job, or null. */
    synchronized CommitJob runningJob() {
        return job != null && !job.progress().state().ended() ? job : null;
    }

    /** At a held barrier: the stack above now reads {@code base} (at {@code baseFile}) through a lent reference. */
    void lend(BlockImage base, Path baseFile) {
        lentBase = base;
        lentBaseFile = baseFile;
    }

    BlockImage lentBase() {
        return lentBase;
    }

    Path lentBaseFile() {
        return lentBaseFile;
    }

    /** Closes the stack, then the base it was lent (the stack reads it to the end). */
    void close() throws IOException {
        try {
            image.close();
        } finally {
            if (lentBase != null) {
                lentBase.close();
                lentBase = null;
            }
        }
    }

    /** On the ring's worker, at the held barrier: later requests go to {@code newTop}, made from {@code newFile}. */
    void switchTo(BlockImage newTop, Path newFile) {
        switchTo(newTop, newFile, CompletableFuture.completedFuture(null));
    }

    /**
     * As {@link #switchTo(BlockImage, Path)}, for a live snapshot: the new top's flushes complete only after
     * {@code settled} (the old top made durable beneath it).
     */
    void switchTo(BlockImage newTop, Path newFile, CompletableFuture<Void> settled) {
        handler.switchTo(newTop, settled);
        image = newTop;
        file = newFile;
    }
}
