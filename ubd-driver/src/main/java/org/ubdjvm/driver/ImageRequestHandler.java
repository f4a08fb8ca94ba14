package org.ubdjvm.driver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.queue.RequestCompletion;
import org.ubdjvm.queue.RequestHandler;
import org.ubdjvm.queue.RequestOp;

/** Carries requests from a device's ring to its one {@link BlockImage}; the image validates and does the I/O. */
final class ImageRequestHandler implements RequestHandler {
    private static final int ADAPTERS_KEPT = 1 << 16;
    private final String device;
    /** Read by the worker on every request; replaced only at a held barrier (a live snapshot), on the worker. */
    private volatile BlockImage image;
    /**
     * Completes when what lies under the image is durable: after a live snapshot, the old top settles after the ring
     * is released, and a flush of the new top must not complete before it (the guest's earlier writes are there).
     */
    private volatile CompletableFuture<Void> settled = CompletableFuture.completedFuture(null);
    private final FlushMode flushMode;
    private final boolean noTrim;
    /** Worker thread only: see {@link #adapter}. */
    private final IdentityHashMap<RequestCompletion, Object> adapters = new IdentityHashMap<>();
    /** Worker thread only: a batch is open, its submits are held until endOfBatch. */
    private boolean plugged;

    ImageRequestHandler(String device, BlockImage image, FlushMode flushMode, boolean noTrim) {
        this.device = device;
        this.image = image;
        this.flushMode = flushMode;
        this.noTrim = noTrim;
    }

    /** Whether a FLUSH reaching this handler syncs the image (every mode but {@link FlushMode#NONE}). */
    boolean barrierSyncs() {
        return flushMode != FlushMode.NONE;
    }

    /** The worker's thread, at a held barrier: requests from here on go to {@code top}, flushes after {@code below}. */
    void switchTo(BlockImage top, CompletableFuture<Void> below) {
        settled = below;
        image = top;
    }

    @Override
    public void start(RequestOp op, long offset, long length, ByteBuffer buffer, RequestCompletion done) {
        BlockImage image = this.image;
        if (!plugged) {
            image.plug();
            plugged = true;
        }
        switch (op) {
            case READ -> image.read(offset, buffer, adapter(done, d -> d::completed));
            case WRITE -> image.write(offset, buffer, adapter(done, d -> d::completed));
            case FLUSH -> {
                if (flushMode == FlushMode.NONE) {
                    done.completed(0, null);
                } else if (settled.isDone() && !settled.isCompletedExceptionally()) {
                    image.flush(adapter(done, d -> d::completed));
                } else {
                    settled.whenComplete((v, e) -> {
                        if (e != null) {
                            done.completed(0, new IOException(device + ": flush failed: the layer below a snapshot"
                                    + " could not be made durable: " + e.getMessage(), e));
                        } else {
                            image.flush(done::completed);
                        }
                    });
                }
            }
            case DISCARD -> {
                if (noTrim) {
                    done.completed(0, new IOException(device + ": discard at offset " + offset
                            + " refused: discard is disabled (flag t)"));
                } else {
                    image.discard(offset, length, adapter(done, d -> d::completed));
                }
            }
        }
    }

    /**
     * The image's completion for the ring's: one adapter per ring completion, kept, since the ring hands the same
     * preallocated completion for every request through one slot (a {@code done::completed} per request was an
     * allocation). {@code make} (non-capturing, so itself no allocation) makes it the first time; its type is the
     * image's completion type, inferred, which this module does not name (layering). Worker thread only. A ring that
     * replaces completions (a timed-out slot's) grows the table; it is emptied when that passes
     * {@link #ADAPTERS_KEPT}.
     */
    @SuppressWarnings("unchecked") // each value was made by the same kind of make for its key
    private <C> C adapter(RequestCompletion done, Function<RequestCompletion, C> make) {
        C a = (C) adapters.get(done);
        if (a == null) {
            if (adapters.size() >= ADAPTERS_KEPT) {
                adapters.clear();
            }
            a = make.apply(done);
            adapters.put(done, a);
        }
        return a;
    }

    /**
     * The ring failed requests after its timeout: whatever the host has held as long is theirs (a request reaches
     * the host after it started in the ring), so the image has it cancelled in its engines. An engine shared with
     * other devices has its requests judged by this device's timeout.
     */
    @Override
    public void cancelOverdue(Duration timeout) {
        image.cancelOlderThan(timeout);
    }

    /** The ring drained a batch: everything it started goes to the host in one submit. */
    @Override
    public void endOfBatch() {
        if (plugged) {
            plugged = false;
            image.unplug();
        }
    }
}
