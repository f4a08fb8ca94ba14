package org.ubdjvm.hostio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The asynchronous engine over a kernel queue: io_uring ({@link #ioUring}) or Linux AIO ({@link #aio}).
 * {@code read}/{@code write}/{@code datasync} only fill a queue entry; {@link #submit} hands the batch to the kernel
 * in one syscall. No thread waits per request and, after warm-up, nothing is allocated per request: each request
 * borrows one of a fixed table of {@link RequestSlot}s whose index is the kernel's user data.
 *
 * <p>Who runs completions. With io_uring the kernel answers most requests during the submit itself (a read served
 * from the page cache), so the thread that submitted takes those answers right away and runs their callbacks, as
 * fio does on its one thread: no hand-off, no wake-up. Answers still owed after that (disk reads, O_DIRECT, writes
 * the kernel punts to its workers) are the reaper thread's: it sleeps until a submitter leaves some owed, then
 * blocks in the kernel for them. One answer-taker at a time (the reap lock), so callbacks never run concurrently.
 * Linux AIO cannot be polled cheaply; its reaper blocks in {@code io_getevents} and runs every callback.
 *
 * <p>Back-pressure: at most {@code depth} requests are in flight. A caller that finds every slot busy first submits
 * what is queued (else no slot could ever come back) and then waits, at most three close timeouts (30 s): a kernel
 * that holds every slot that long fails the request with ETIMEDOUT rather than hang it. A completion callback that issues a request
 * while every slot is busy cannot wait (it runs on the only thread that frees slots), so that request is parked and
 * started by the reaper as soon as a slot frees.
 *
 * <p>Buffers: the kernel reads or writes a direct buffer in place; a heap buffer bounces through direct memory kept
 * by the slot. Like the sync engine, the buffer's position is advanced past the bytes moved before the completion
 * runs.
 *
 * <p>Close stops accepting requests (later ones fail at once), submits what is queued, waits for everything in flight,
 * then stops the reaper, which releases the kernel queue. Requests the kernel has not answered after
 * {@value #CLOSE_TIMEOUT_SECONDS} s (a read of an empty pipe, a hung NFS server) are failed so no caller hangs; the
 * reaper stays, keeping their buffers referenced, until the kernel lets go of them, then releases the queue.
 */
public final class AsyncEngine implements IoEngine {
    static final int CLOSE_TIMEOUT_SECONDS = 10;
    static final int STALL_SECONDS = 5;

    private final KernelQueue queue;
    private final long closeTimeoutNanos;
    /** How long a caller waits for a free slot before its request fails with ETIMEDOUT: thrice the close timeout. */
    private final long slotTimeoutNanos;
    /** Set by acquire() when it gave up; read and cleared by its caller under the same lock hold. */
    private boolean slotWaitTimedOut;
    /** How long the kernel may hold a request unanswered before it is cancelled and sent again; 0: never. */
    private final long stallNanos;
    /** Reaper only: when it last looked for stalled requests. */
    private long lastStallScan;
    private final java.util.concurrent.atomic.AtomicLong stallResends = new java.util.concurrent.atomic.AtomicLong();
    private final RequestSlot[] slots;
    private final Thread reaper;

    /** Guards the free list, the parked requests, the flags below and every call into the queue but reap(). */
    private final ReentrantLock lock = new ReentrantLock();
    /** One thread at a time takes kernel answers and runs their callbacks: guards the reaper scratch below. */
    private final ReentrantLock reapLock = new ReentrantLock();
    /** Requests pushed to the kernel queue and not yet answered. */
    private final AtomicInteger owed = new AtomicInteger();
    /** A submitter left answers owed, or close wants the reaper to look: it should wait in the kernel. */
    private volatile boolean reaperWanted;
    private final boolean pollable;
    /** The thread inside a plug()/unplug() batch, if any; only its submit() calls are held. */
    private volatile Thread plugged;
    private final Condition slotFreed = lock.newCondition();
    private final Condition drained = lock.newCondition();
    private final int[] free;
    private int freeCount;
    private final ArrayDeque<Parked> parked = new ArrayDeque<>();
    private boolean closing;
    /** Written under both locks (so either one suffices to read it), once the reaper released the queue. */
    private volatile boolean queueClosed;

    // Answer-taker scratch (reap lock held), sized for the worst case once so reaping allocates nothing.
    private final int[] finished;
    private int finishedCount;
    private final int[] again;
    private int againCount;
    private final IoCompletion[] callbacks;
    private final long[] results;
    private final IOException[] errors;
    private final KernelQueue.Answers onAnswer = this::onAnswer;

    /** A request issued from a completion while every slot was busy. */
    private record Parked(RequestSlot.Op op, HostFile file, int fd, ByteBuffer buffer, long position, IoCompletion done) {
    }

    private AsyncEngine(KernelQueue queue, int depth, Duration closeTimeout, Duration stall) {
        this.queue = queue;
        this.pollable = queue.pollable();
        this.closeTimeoutNanos = closeTimeout.toNanos();
        this.slotTimeoutNanos = 3 * closeTimeoutNanos;
        this.stallNanos = stall.toNanos();
        this.slots = new RequestSlot[depth];
        this.free = new int[depth];
        for (int i = 0; i < depth; i++) {
            slots[i] = new RequestSlot(i);
            free[i] = depth - 1 - i;
        }
        this.freeCount = depth;
        this.finished = new int[depth];
        this.again = new int[depth];
        this.callbacks = new IoCompletion[depth];
        this.results = new long[depth];
        this.errors = new IOException[depth];
        this.reaper = new Thread(this::reapUntilClosed, "ubd-" + queue.name() + "-reaper");
        reaper.setDaemon(true); // an engine nobody closed must not keep the JVM alive
    }

    /** An io_uring engine with {@code depth} requests in flight at most. */
    public static AsyncEngine ioUring(int depth) throws IOException {
        return ioUring(depth, Duration.ofSeconds(CLOSE_TIMEOUT_SECONDS));
    }

    /** With a shorter close timeout, for tests of a kernel that never answers. */
    static AsyncEngine ioUring(int depth, Duration closeTimeout) throws IOException {
        return ioUring(depth, closeTimeout, Duration.ofSeconds(STALL_SECONDS));
    }

    /** With a shorter stall limit too, for tests of the stall watch. */
    static AsyncEngine ioUring(int depth, Duration closeTimeout, Duration stall) throws IOException {
        return start(IoUring.open(requireDepth(depth)), depth, closeTimeout, stall);
    }

    /**
     * A Linux AIO engine with {@code depth} requests in flight at most. No stall watch: its reaper can only block in
     * {@code io_getevents}, and {@code io_cancel} takes no file I/O anyway.
     */
    public static AsyncEngine aio(int depth) throws IOException {
        return start(LinuxAio.open(requireDepth(depth)), depth, Duration.ofSeconds(CLOSE_TIMEOUT_SECONDS), Duration.ZERO);
    }

    private static int requireDepth(int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("queue depth must be at least 1, not " + depth);
        }
        return depth;
    }

    private static AsyncEngine start(KernelQueue queue, int depth, Duration closeTimeout, Duration stall) {
        AsyncEngine engine = new AsyncEngine(queue, depth, closeTimeout, stall);
        engine.reaper.start();
        return engine;
    }

    @Override
    public String name() {
        return queue.name();
    }

    /** The kernel queue underneath (tests). */
    KernelQueue kernelQueue() {
        return queue;
    }

    /** Requests in flight at most. */
    public int depth() {
        return slots.length;
    }

    @Override
    public void read(HostFile file, ByteBuffer dst, long position, IoCompletion done) {
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot read into a read-only buffer");
        }
        startTransfer(RequestSlot.Op.READ, file, dst, position, done);
    }

    @Override
    public void write(HostFile file, ByteBuffer src, long position, IoCompletion done) {
        if (file.readOnly()) {
            done.done(0, file.readOnlyRefusal(position));
            return;
        }
        startTransfer(RequestSlot.Op.WRITE, file, src, position, done);
    }

    /** A read or write, unless an O_DIRECT file refuses its alignment: then only this request fails. */
    private void startTransfer(RequestSlot.Op op, HostFile file, ByteBuffer buf, long position, IoCompletion done) {
        HostIoException misaligned = file.directRefusal(op == RequestSlot.Op.READ ? "read" : "write", buf, position);
        if (misaligned != null) {
            done.done(0, misaligned);
            return;
        }
        start(op, file, buf, position, done);
    }

    @Override
    public void datasync(HostFile file, IoCompletion done) {
        if (file.readOnly()) {
            done.done(0, null); // nothing of ours to flush, as HostFile.datasync
            return;
        }
        start(RequestSlot.Op.DATASYNC, file, null, 0, done);
    }

    private void start(RequestSlot.Op op, HostFile file, ByteBuffer buffer, long position, IoCompletion done) {
        Objects.requireNonNull(done, "done");
        if (position < 0) {
            throw new IllegalArgumentException("negative file offset " + position);
        }
        if (buffer != null && !buffer.hasRemaining()) {
            done.done(0, null);
            return;
        }
        int fd;
        try {
            fd = file.nativeFd();
        } catch (HostIoException e) {
            done.done(0, e);
            return;
        }
        RequestSlot slot;
        boolean timedOut;
        lock.lock();
        try {
            slot = acquire();
            timedOut = slotWaitTimedOut;
            slotWaitTimedOut = false;
            if (slot == null && !closing && !timedOut) {
                parked.add(new Parked(op, file, fd, buffer, position, done));
                return;
            }
        } finally {
            lock.unlock();
        }
        if (slot == null) {
            done.done(0, timedOut ? noSlotInTime(file, op, position)
                    : HostIoException.engineClosed(file.path(), op.verb, position, name()));
            return;
        }
        slot.start(op, file, fd, buffer, position, done); // may copy a heap buffer: outside the lock
        boolean lateInClose;
        lock.lock();
        try {
            push(slot);
            lateInClose = closing;
            if (lateInClose) {
                queue.flush(); // close() already flushed and now waits for this one: the caller may never submit
            }
        } finally {
            lock.unlock();
        }
        if (lateInClose) {
            wantReaper();
        }
    }

    /** Lock held. */
    private void push(RequestSlot slot) {
        queue.push(slot);
        owed.incrementAndGet();
    }

    /**
     * A free slot; null when closing, on a thread running callbacks when none is free, or after waiting
     * {@link #slotTimeoutNanos} for one in vain (then {@link #slotWaitTimedOut} is set). Lock held. Interrupts do
     * not end the wait; the flag is kept.
     */
    private RequestSlot acquire() {
        if (freeCount > 0 && !closing) {
            return slots[free[--freeCount]]; // the common case reads no clock
        }
        long deadline = System.nanoTime() + slotTimeoutNanos;
        boolean interrupted = false;
        try {
            while (freeCount == 0 && !closing) {
                if (Thread.currentThread() == reaper || reapLock.isHeldByCurrentThread()) {
                    return null; // only an answer-taker frees slots: it must not wait for itself
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    slotWaitTimedOut = true; // the kernel holds every slot (lost or stuck requests)
                    return null;
                }
                queue.flush(); // what this caller queued must go out, or no slot will ever come back
                wantReaper();
                try {
                    slotFreed.awaitNanos(left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return closing ? null : slots[free[--freeCount]];
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The one-line refusal of a request that found no slot in time, with what the engine holds. */
    private HostIoException noSlotInTime(HostFile file, RequestSlot.Op op, long position) {
        return new HostIoException(file.path(), op.verb + " at offset " + position + " refused: no slot of engine "
                + name() + " came free in " + RequestSlot.seconds(slotTimeoutNanos) + ": "
                + Errno.describe(Errno.ETIMEDOUT) + "; " + describeInFlight().replace("\n  ", "; "));
    }

    @Override
    public void submit() {
        if (plugged == Thread.currentThread()) {
            return; // held until unplug(): the batch goes in one syscall
        }
        lock.lock();
        try {
            if (!queueClosed) {
                queue.flush();
            }
        } finally {
            lock.unlock();
        }
        takeAnswersInline();
    }

    /**
     * On the thread that just submitted: takes the answers the kernel already gave, and runs their callbacks here.
     * Skipped inside a callback (the outer loop polls again) and while another thread takes answers; whatever is
     * still owed afterwards is the reaper's.
     */
    private void takeAnswersInline() {
        if (!pollable || reapLock.isHeldByCurrentThread()) {
            return;
        }
        if (reapLock.tryLock()) {
            try {
                takeAnswers();
            } finally {
                reapLock.unlock();
            }
        }
        if (owed.get() > 0) {
            wantReaper();
        }
    }

    /** Reap lock held: polls until the kernel has nothing more, completing as it goes (callbacks may submit more). */
    private void takeAnswers() {
        while (!queueClosed && queue.poll(onAnswer) > 0) {
            completeReaped();
        }
    }

    private void wantReaper() {
        if (!reaperWanted) {
            reaperWanted = true;
            LockSupport.unpark(reaper);
        }
    }

    @Override
    public void plug() {
        plugged = Thread.currentThread();
    }

    @Override
    public void unplug() {
        if (plugged == Thread.currentThread()) {
            plugged = null;
        }
        submit();
    }

    /** False once the reaper has released the kernel queue. */
    boolean reaperAlive() {
        return reaper.isAlive();
    }

    /** Syscalls made to hand requests to the kernel so far (one per batch when all goes well). */
    long submitCalls() {
        lock.lock();
        try {
            return queue.submitCalls();
        } finally {
            lock.unlock();
        }
    }

    private void reapUntilClosed() {
        try {
            do {
                try {
                    if (pollable) {
                        serveOwed();
                    } else {
                        reapLock.lock();
                        try {
                            queue.reap(onAnswer);
                            completeReaped();
                        } finally {
                            reapLock.unlock();
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    report(e);
                    pause(); // the ring is broken; keep answering close rather than spin or die
                    reaperWanted = true; // and look again: what was owed when it broke still is
                }
            } while (!idleAfterClose());
        } finally {
            // Both locks: no submitter may flush into, nor an inline answer-taker poll, the unmapped queue.
            reapLock.lock();
            lock.lock();
            try {
                queueClosed = true;
                queue.close();
                drained.signalAll();
            } finally {
                lock.unlock();
                reapLock.unlock();
            }
        }
    }

    /**
     * Sleeps until wanted, then waits in the kernel, outside the reap lock so submitters can still take their own
     * answers, for as long as anything is owed. A submitter sets the flag after the owed count rose; the reaper
     * clears it before reading the count: one of them sees the other, so no owed answer is left waiting.
     */
    private void serveOwed() throws IOException {
        while (!reaperWanted) {
            LockSupport.park(this);
        }
        reaperWanted = false;
        while (owed.get() > 0) {
            queue.await(stallNanos / 4); // wakes now and then to watch for stalls while anything is owed
            reapLock.lock();
            try {
                takeAnswers();
            } finally {
                reapLock.unlock();
            }
            resendStalled();
        }
    }

    /**
     * The stall watch. A request the kernel took and has not answered for {@link #STALL_SECONDS} is asked back with a
     * cancel; if the kernel gives it back cancelled (it had never started it), it is sent again, from this thread.
     * Why: on 6.18 every buffered read of a tmpfs file goes to the submitting thread's io-wq, and a property run once
     * hung for 20 minutes on such a read that the kernel had taken and never ran, with no io-wq worker left (issue
     * 19). A request that is running is not cancelled (the kernel refuses), so a slow disk only costs a cancel now
     * and then; a request that never comes back at all is still the request timeout's to fail.
     */
    private void resendStalled() {
        long now = System.nanoTime();
        if (stallNanos <= 0 || now - lastStallScan < stallNanos / 4) {
            return;
        }
        lastStallScan = now;
        lock.lock();
        try {
            if (queueClosed || freeCount == slots.length) {
                return;
            }
            boolean[] isFree = freeSlots(); // at most a few times a second, and only while requests are owed
            boolean any = false;
            for (RequestSlot slot : slots) {
                if (!isFree[slot.index] && slot.stalled(now, stallNanos)) {
                    queue.cancel(slot);
                    any = true;
                }
            }
            if (any) {
                // The cancel runs inside this submit, under the lock, so it cannot hit a later request on the slot.
                queue.flush();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Requests the stall watch got back from the kernel and sent again, since the engine started. */
    public long stallResends() {
        return stallResends.get();
    }

    /** Called by the queue inside reap()/poll(), for each kernel answer. Reap lock held, no allocation. */
    private void onAnswer(int index, long result) {
        RequestSlot slot = slots[index];
        if (slot.resendAfterCancel(result)) {
            stallResends.incrementAndGet();
            again[againCount++] = index;
        } else if (slot.apply(result) || slot.claimed()) {
            finished[finishedCount++] = index;
        } else {
            again[againCount++] = index;
        }
    }

    /** Frees the finished slots, sends short transfers again, starts parked requests, then runs callbacks. */
    private void completeReaped() {
        int n = 0;
        for (int i = 0; i < finishedCount; i++) {
            RequestSlot slot = slots[finished[i]];
            if (slot.claim()) {
                results[n] = slot.finish();
                errors[n] = slot.error();
                callbacks[n] = slot.completion();
                n++;
            }
            slot.clear();
        }
        lock.lock();
        try {
            for (int i = 0; i < againCount; i++) {
                push(slots[again[i]]);
            }
            for (int i = 0; i < finishedCount; i++) {
                free[freeCount++] = finished[i];
            }
            boolean startedParked = startParked();
            if (againCount > 0 || startedParked) {
                queue.flush();
            }
            if (finishedCount > 0) {
                slotFreed.signalAll();
            }
            if (closing && idle()) {
                drained.signalAll();
            }
        } finally {
            lock.unlock();
        }
        owed.addAndGet(-(finishedCount + againCount)); // every answer paid one push; 'again' ones were pushed anew
        finishedCount = 0;
        againCount = 0;
        // Callbacks run after their slots are free, outside the lock: a callback may issue requests at once.
        for (int i = 0; i < n; i++) {
            IoCompletion callback = callbacks[i];
            callbacks[i] = null;
            IOException error = errors[i];
            errors[i] = null;
            run(callback, results[i], error);
        }
    }

    /** Lock held. */
    private boolean startParked() {
        boolean any = false;
        while (freeCount > 0 && !parked.isEmpty()) {
            Parked p = parked.poll();
            RequestSlot slot = slots[free[--freeCount]];
            slot.start(p.op(), p.file(), p.fd(), p.buffer(), p.position(), p.done());
            push(slot);
            any = true;
        }
        return any;
    }

    /** Lock held. */
    private boolean idle() {
        return freeCount == slots.length && parked.isEmpty();
    }

    private boolean idleAfterClose() {
        lock.lock();
        try {
            return closing && idle();
        } finally {
            lock.unlock();
        }
    }

    private void run(IoCompletion callback, long result, IOException error) {
        try {
            callback.done(result, error);
        } catch (Throwable t) {
            report(t); // one bad callback must not take down every other request's completion
        }
    }

    private void report(Throwable t) {
        Thread.UncaughtExceptionHandler handler = Thread.currentThread().getUncaughtExceptionHandler();
        if (handler != null) {
            handler.uncaughtException(Thread.currentThread(), t);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        List<Runnable> failures = new ArrayList<>();
        lock.lock();
        try {
            if (!closing) {
                closing = true;
                if (!queueClosed) {
                    queue.flush();
                }
                slotFreed.signalAll(); // callers waiting for a slot give up
                wantReaper(); // to take what the flush left owed, and to see the engine closing
            }
            if (Thread.currentThread() == reaper || reapLock.isHeldByCurrentThread()) {
                return; // closed from a callback: waiting here would hold up the answers; the reaper stops once idle
            }
            awaitIdle(closeTimeoutNanos);
            if (!idle()) {
                abandonInFlight(failures);
            }
            if (!queueClosed) {
                queue.wake();
            }
        } finally {
            lock.unlock();
        }
        failures.forEach(Runnable::run);
        try {
            reaper.join(failures.isEmpty() ? TimeUnit.NANOSECONDS.toMillis(closeTimeoutNanos) : 100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for the reaper to drain, finishing the wait even if interrupted (the flag is kept). Lock held. */
    private void awaitIdle(long nanos) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + nanos;
        long left = nanos;
        while (!idle() && left > 0) {
            try {
                drained.awaitNanos(left);
            } catch (InterruptedException e) {
                interrupted = true;
            }
            left = deadline - System.nanoTime();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Fails whatever the kernel still holds after the close timeout. Lock held; callbacks run by the caller. */
    private void abandonInFlight(List<Runnable> failures) {
        boolean[] isFree = freeSlots();
        for (RequestSlot slot : slots) {
            if (!isFree[slot.index]) {
                giveUp(slot, " abandoned: engine " + name() + " closed before the kernel answered", failures);
            }
        }
        for (Parked p : parked) {
            failures.add(() -> run(p.done(), 0, new HostIoException(p.file().path(), p.op().verb + " at offset "
                    + p.position() + " abandoned: engine " + name() + " closed")));
        }
        parked.clear();
    }

    /**
     * Reports {@code slot}'s request as failed ({@code what} + {@code reason}) unless the reaper reports it first; its
     * slot stays busy until the kernel answers, and that answer is then dropped. Lock held; the failure is queued
     * for the caller to run outside the lock. True when this call got to report it.
     */
    private boolean giveUp(RequestSlot slot, String reason, List<Runnable> failures) {
        // Read before claiming: the reaper may be finishing this very slot, and it claims before it clears.
        IoCompletion callback = slot.completion();
        HostFile file = slot.file();
        if (callback == null || file == null) {
            return false;
        }
        String what = slot.describe();
        if (!slot.claim()) {
            return false;
        }
        HostIoException error = new HostIoException(file.path(), what + reason);
        failures.add(() -> run(callback, 0, error));
        return true;
    }

    /** Which slots are on the free list. Lock held. */
    private boolean[] freeSlots() {
        boolean[] isFree = new boolean[slots.length];
        for (int i = 0; i < freeCount; i++) {
            isFree[free[i]] = true;
        }
        return isFree;
    }

    /**
     * Fails each request in flight for at least {@code age} with ECANCELED and asks the kernel to cancel it. Holding
     * the lock keeps every busy slot from being handed to a new request meanwhile (that needs the lock), so the
     * request judged overdue is the one given up on; a slot stays reserved until the kernel answers.
     */
    @Override
    public int cancelOlderThan(Duration age) {
        long now = System.nanoTime();
        long limit = age.toNanos();
        List<Runnable> failures = new ArrayList<>();
        lock.lock();
        try {
            if (queueClosed) {
                return 0;
            }
            boolean[] isFree = freeSlots();
            for (RequestSlot slot : slots) {
                if (!isFree[slot.index] && slot.overdue(now, limit)
                        && giveUp(slot, " cancelled after " + RequestSlot.seconds(slot.age(now)) + " in flight: "
                                + Errno.describe(Errno.ECANCELED),
                                failures)) {
                    queue.cancel(slot);
                }
            }
            if (!failures.isEmpty()) {
                queue.flush();
            }
        } finally {
            lock.unlock();
        }
        failures.forEach(Runnable::run);
        return failures.size();
    }

    /** Summary, the kernel queue's indexes, then each busy slot's request; empty when the engine holds nothing. */
    @Override
    public String describeInFlight() {
        long now = System.nanoTime();
        StringBuilder out = new StringBuilder();
        lock.lock();
        try {
            int busy = slots.length - freeCount;
            if (busy == 0 && parked.isEmpty()) {
                return "";
            }
            out.append(name()).append(": ").append(busy).append(" of ").append(slots.length).append(" slots busy, ")
                    .append(parked.size()).append(" parked, ").append(owed.get()).append(" owed by the kernel");
            if (stallResends.get() > 0) {
                out.append(", ").append(stallResends.get()).append(" stalled requests sent again");
            }
            if (!queueClosed) {
                out.append("; ").append(queue.describe());
            }
            boolean[] isFree = freeSlots();
            for (RequestSlot slot : slots) {
                String request = isFree[slot.index] ? null : slot.describeInFlight(now);
                if (request != null) {
                    out.append("\n  slot ").append(slot.index).append(": ").append(request);
                }
            }
            for (Parked p : parked) {
                out.append("\n  parked: ").append(p.op().verb).append(" at offset ").append(p.position()).append(" of ")
                        .append(p.file().path());
            }
        } finally {
            lock.unlock();
        }
        return out.toString();
    }
}
