package org.ubdjvm.driver;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.OpenedImage;
import org.ubdjvm.cow.PremadeLayer;
import org.ubdjvm.cow.WaitLimit;
import org.ubdjvm.queue.HeldBarrier;

/**
 * A live snapshot's work at the held barrier, which waits for the requests in flight only (no flush: the old top's
 * last writes are made durable after the release, by {@link #settle}, before any flush of the new top completes).
 * The new file was made before the barrier ({@link ImageOpener#makeAbove}); here its recorded backing mtime is put
 * back on the old top, which nothing writes now, and it is opened over the open stack and switched to.
 */
final class SnapshotSwitch implements HeldBarrier {
    private final DeviceTop top;
    private final PremadeLayer made;
    private final OpenSpec open;
    private final DeviceSpec spec;
    /** Completes when the old top is settled; the new top's flushes wait for it. */
    private final CompletableFuture<Void> settled = new CompletableFuture<>();
    /** PENDING until the worker starts the switch or the asker gives up waiting; whichever comes first wins. */
    private final AtomicReference<State> state = new AtomicReference<>(State.PENDING);
    /** Written on the ring's worker; read after the barrier's completion, which publishes them. */
    private BlockImage oldTop;
    private long drainNanos;
    private long flushNanos;
    private long createNanos;
    private long switchNanos;

    SnapshotSwitch(DeviceTop top, PremadeLayer made, OpenSpec open, DeviceSpec spec) {
        this.top = top;
        this.made = made;
        this.open = open;
        this.spec = spec;
    }

    @Override
    public boolean flushFirst() {
        return false;
    }

    @Override
    public void drained(long drainNanos, long flushNanos) {
        this.drainNanos = drainNanos;
        this.flushNanos = flushNanos;
    }

    private enum State { PENDING, STARTED, CANCELLED }

    /**
     * The asker stopped waiting before the barrier was reached: true if the switch will now never run (the made
     * file is then the asker's to remove); false if it has started and will finish.
     */
    boolean cancel() {
        return state.compareAndSet(State.PENDING, State.CANCELLED);
    }

    @Override
    public void atBarrier() throws IOException {
        long start = System.nanoTime();
        if (!state.compareAndSet(State.PENDING, State.STARTED)) {
            throw new IOException("cancelled: the snapshot's caller stopped waiting for the barrier");
        }
        BlockImage below = top.image();
        if (spec.flags().syncWrites()) {
            // every write is durable before it completes: the new top's would be before the old top's mtime is
            ImageOpener.settleBelow(made, below, WaitLimit.DEFAULT);
            settled.complete(null);
        }
        OpenedImage opened = top.environment().images().openAbove(made, open, spec.engineRequest(), below);
        long created = System.nanoTime();
        createNanos = created - start;
        oldTop = below;
        top.switchTo(opened.image(), made.create().file(), settled);
        switchNanos = System.nanoTime() - created;
    }

    /**
     * After the release, beside the guest's I/O: the old top's last writes and metadata made durable, its mtime the
     * recorded one; then the new top's flushes may complete. Returns how long it took.
     */
    long settle(WaitLimit limit) throws IOException {
        long start = System.nanoTime();
        try {
            if (!settled.isDone()) {
                ImageOpener.settleBelow(made, oldTop, limit);
                settled.complete(null);
            }
        } catch (IOException | RuntimeException e) {
            settled.completeExceptionally(e);
            throw e;
        }
        return System.nanoTime() - start;
    }

    /** The phases, once the barrier's completion has come; {@code pause} is the ring's figure. */
    SnapshotTiming timing(long pauseNanos, long preflushNanos, long premakeNanos, long settleNanos) {
        return new SnapshotTiming(Duration.ofNanos(pauseNanos), Duration.ofNanos(preflushNanos),
                Duration.ofNanos(premakeNanos), Duration.ofNanos(drainNanos), Duration.ofNanos(flushNanos),
                Duration.ofNanos(createNanos), Duration.ofNanos(switchNanos), Duration.ofNanos(settleNanos));
    }
}
