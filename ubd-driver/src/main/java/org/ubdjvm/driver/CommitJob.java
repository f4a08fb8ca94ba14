package org.ubdjvm.driver;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.CommitJournal;
import org.ubdjvm.cow.CommitSteps;
import org.ubdjvm.cow.LayerFile;

/**
 * A background commit of a running device ({@link UbdDevice#commit}), on a thread of its own. The layers merged lie
 * below the active top and are only read while it runs (the guest writes the top), so what it copies is fixed when it
 * starts: it always ends, whatever the guest does. Its steps, each durable before the next:
 * <ol>
 *   <li>(at a barrier, before the thread starts) the base is reopened read-write under the stack;</li>
 *   <li>the journal {@code ubd commit} reads is written beside the layer just above the base;</li>
 *   <li>the runs the merged layers hold are copied into the base, at most {@code speed} bytes a second, and the base is
 *   flushed and fsynced. The merged layers still mask every sector copied, so the guest reads what it read;</li>
 *   <li>at a barrier: the layer above the merged ones (the active top, usually) records the base as its backing
 *   file, and the stack is reopened over the base. That barrier is the only pause;</li>
 *   <li>the merged layers, now out of the stack, are left as {@code ubd commit} leaves them: the one above the base
 *   records the base's new mtime (and keeps its own), the top one is emptied when it was the base's immediate
 *   upper layer; then the journal is removed.</li>
 * </ol>
 * A cancel (or a failed copy) stops the copy and, at a barrier, does step 5 without emptying, so the stack is the one
 * it was and reads the same: the base may hold copies of merged sectors, which the layers above it still mask. Killed
 * at any point, the chain still opens to the same disk (the journal lets the layer above the base accept its changed
 * mtime), and {@code ubd commit -b BASE TOP} finishes the merge offline.
 */
public final class CommitJob {
    private static final AtomicLong IDS = new AtomicLong();

    private final String id;
    private final UbdDevice device;
    private final CommitPlan plan;
    private final Thread thread;
    private final CompletableFuture<JobOutcome> outcome = new CompletableFuture<>();
    private final AtomicLong done = new AtomicLong();
    private volatile long total;
    private volatile long copyStartNanos;
    private volatile boolean cancelRequested;
    private volatile Duration switchPause = Duration.ZERO;

    /** Thrown by the pacer to stop the copy. */
    private static final class Cancelled extends IOException {
        Cancelled() {
            super("cancelled");
        }
    }

    CommitJob(UbdDevice device, CommitPlan plan) {
        this.id = "commit-" + IDS.incrementAndGet();
        this.device = device;
        this.plan = plan;
        this.thread = new Thread(this::run, device.name() + "-" + id);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Unique in this process: {@code commit-1}, {@code commit-2}, ... */
    public String id() {
        return id;
    }

    /** {@code commit}: the kind of job, for {@code query-jobs}. */
    public String type() {
        return "commit";
    }

    /** The device the job runs on. */
    public String device() {
        return device.name();
    }

    /** The layers merged, top first, then the base. */
    public List<java.nio.file.Path> layers() {
        return plan.files().subList(plan.topDepth(), plan.baseDepth() + 1);
    }

    /** The speed asked for, bytes a second; 0 unthrottled. */
    public long speedLimit() {
        return plan.speed();
    }

    public JobProgress progress() {
        JobOutcome o = outcome.getNow(null);
        long d = done.get();
        long start = copyStartNanos;
        long elapsed = start == 0 ? 0 : System.nanoTime() - start;
        long rate = elapsed <= 0 ? 0 : (long) (d * 1e9 / elapsed);
        return new JobProgress(d, total, rate, o == null ? JobState.RUNNING : o.state());
    }

    /** Asks the job to stop; it ends cancelled (the stack as it was) unless it was already switching or had ended. */
    public void cancel() {
        cancelRequested = true;
    }

    /** How long the ring was held for the switch to the base; zero until the job completed. */
    public Duration switchPause() {
        return switchPause;
    }

    /** The outcome, when the job ends. */
    public CompletionStage<JobOutcome> outcome() {
        return outcome;
    }

    /**
     * Waits at most {@code timeout} for the job to end.
     *
     * @return how it ended, or an outcome in state {@link JobState#RUNNING} when it had not ended by then
     */
    public JobOutcome await(Duration timeout) {
        try {
            return outcome.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return JobOutcome.stillRunning(id + " still running after " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return JobOutcome.stillRunning(id + ": wait interrupted");
        } catch (ExecutionException e) {
            return JobOutcome.failed(String.valueOf(e.getCause()));
        }
    }

    private void run() {
        JobOutcome end;
        try {
            end = merge();
        } catch (IOException | RuntimeException | Error e) {
            end = JobOutcome.failed(oneLine(e));
        }
        outcome.complete(end);
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.replace('\n', ' ');
    }

    private JobOutcome merge() throws IOException {
        DeviceTop top = device.top();
        BlockImage base = top.lentBase();
        CommitJournal journal = CommitSteps.begin(plan.top(), plan.base(), plan.child()); // before the first write
        IOException failure = null;
        try (BlockImage chain = device.openOverLent(plan.top(), plan.format(plan.topDepth()), true)) {
            List<Allocation> runs = CommitSteps.heldAbove(chain, plan.baseDepth() - plan.topDepth(), base.size());
            total = runs.stream().mapToLong(Allocation::length).sum();
            copyStartNanos = System.nanoTime();
            CommitSteps.copy(chain, base, runs, (d, t) -> done.set(d), this::pace, plan.speed());
        } catch (IOException e) {
            failure = e;
        }
        CommitSteps.durable(base, plan.base());
        if (failure == null) {
            // before the switch makes the layer above record the base's mtime: a resumed commit must not copy again
            CommitSteps.markCopied(journal, plan.child());
            switchPause = device.hold(this::switchToBase, UbdDevice.BARRIER_TIMEOUT, "commit " + id);
            try {
                settle(journal, true);
            } catch (IOException | RuntimeException e) {
                return new JobOutcome(JobState.COMPLETED, "the stack reads the base; the merged layers were left as"
                        + " they were (finish them with: ubd commit -b " + plan.base() + " " + plan.top() + "): "
                        + oneLine(e));
            }
            return JobOutcome.completed();
        }
        device.hold(() -> {
            top.image().close();
            try {
                settle(journal, false);
            } finally {
                device.reopenActive(plan.format(0));
            }
        }, UbdDevice.BARRIER_TIMEOUT, "cancel " + id);
        return failure instanceof Cancelled ? JobOutcome.cancelled(id + " cancelled; the stack is as it was")
                : JobOutcome.failed(oneLine(failure) + "; the stack is as it was");
    }

    /** Before each piece: stop when cancelled; else how long until the speed allows the bytes issued so far. */
    private long pace(long issued) throws IOException {
        if (cancelRequested) {
            throw new Cancelled();
        }
        long speed = plan.speed();
        return speed == 0 ? 0 : copyStartNanos + (long) (issued * 1e9 / speed) - System.nanoTime();
    }

    /**
     * At the barrier: the layer above the merged ones names the base (written in place when it is the active top,
     * else through a read-write open of its own that gives it back its mtime, which the layer over it records), then
     * the active top is reopened over the base. Should that fail after the stack was closed, the stack is reopened as
     * its files say, which read the same disk either way.
     */
    private void switchToBase() throws IOException {
        DeviceTop top = device.top();
        BlockImage active = top.image();
        boolean closed = false;
        try {
            if (plan.topDepth() == 1) {
                layerFile(active, plan.active()).recordBacking(plan.base());
                closed = true;
                active.close();
            } else {
                closed = true;
                active.close();
                try (BlockImage above = device.openOverLent(plan.above(), plan.format(plan.topDepth() - 1), false)) {
                    layerFile(above, plan.above()).recordBacking(plan.base());
                }
                CommitSteps.restoreMtime(plan.above(), plan.aboveMtimeNanos());
            }
            device.reopenActive(plan.format(0));
        } catch (IOException | RuntimeException e) {
            if (closed && top.image() == active) {
                try {
                    device.reopenActive(plan.format(0));
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * Step 5, with the merged layers out of any open stack: the layer above the base records the base (and keeps its
     * own mtime), the top one is emptied when asked and it is that layer, then the journal goes.
     */
    private void settle(CommitJournal journal, boolean empty) throws IOException {
        try (BlockImage child = device.openOverLent(plan.child(), plan.format(plan.baseDepth() - 1), false)) {
            LayerFile file = layerFile(child, plan.child());
            file.recordBacking(plan.base());
            if (empty && plan.baseDepth() - plan.topDepth() == 1) {
                long end = device.top().lentBase().size() / child.sectorSize() * child.sectorSize();
                file.empty(end);
            }
        }
        CommitSteps.restoreMtime(plan.child(), journal.childMtimeNanos());
        CommitSteps.end(plan.base(), plan.child());
    }

    private static LayerFile layerFile(BlockImage image, java.nio.file.Path file) throws IOException {
        LayerFile f = image.layerFile();
        if (f == null) {
            throw new IOException(file + ": its format cannot record a new backing file");
        }
        return f;
    }
}
