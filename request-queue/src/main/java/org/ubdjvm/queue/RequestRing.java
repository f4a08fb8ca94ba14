package org.ubdjvm.queue;

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.PhasedBackoffWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ring between guest submitters (any number of threads) and one host worker: an LMAX Disruptor of
 * preallocated {@link RequestSlot}s. Submitting claims a slot, fills it and publishes it; the completion comes back
 * through the request's own {@link RequestCompletion}, so no thread is parked per request.
 *
 * <p>Closing refuses new requests, lets every published one be started, and waits until all have completed.
 */
public final class RequestRing implements AutoCloseable {
    /**
     * The worker waits for requests spinning, then yielding, then asleep. While a guest keeps the device busy the
     * next request comes within microseconds, and a worker that slept would cost a wake-up per batch (measured:
     * 4k randread QD32 ran at 0.68x fio with a sleeping worker, well above 1x with a spinning one). An idle device
     * puts its worker to sleep after {@value #YIELD_MICROS} us; publishing then pays one atomic flag check.
     */
    private static final long SPIN_MICROS = 50;
    private static final long YIELD_MICROS = 200;
    private static final int CAPACITY_SPINS = 64;
    private static final int CAPACITY_YIELDS = 1024;

    private final RingConfig config;
    private final Disruptor<RequestSlot> disruptor;
    private final RingBuffer<RequestSlot> ring;
    private final InFlight inFlight = new InFlight();
    private final RequestTimer timer;
    /** Submitters between their closed-check and their publish; close waits for them so none is lost. */
    private final AtomicInteger submitting = new AtomicInteger();
    private volatile boolean closed;

    public RequestRing(RingConfig config, RequestHandler handler) {
        this.config = config;
        WaitStrategy wait = config.spinWait() ? new YieldingWaitStrategy()
                : PhasedBackoffWaitStrategy.withLiteLock(SPIN_MICROS, YIELD_MICROS, TimeUnit.MICROSECONDS);
        this.disruptor = new Disruptor<>(RequestSlot::new, config.size(),
                r -> {
                    Thread t = new Thread(r, "ring-" + config.name());
                    t.setDaemon(true);
                    return t;
                }, config.singleSubmitter() ? ProducerType.SINGLE : ProducerType.MULTI, wait);
        var trackers = RingWorker.trackers(config.size(), inFlight);
        RingWorker worker = new RingWorker(handler, inFlight, config.maxInFlight(), trackers);
        disruptor.handleEventsWith(worker);
        this.ring = disruptor.start();
        worker.awaitStarted();
        this.timer = new RequestTimer(config.name(), config.requestTimeout(), trackers, handler);
    }

    public RingConfig config() {
        return config;
    }

    /** Requests started by the worker and not yet completed (a snapshot; exact once the worker is idle). */
    public long inFlight() {
        return inFlight.count();
    }

    /**
     * Each request in flight, one per line ({@code ubda: read of 4096 bytes at offset 8192, in flight 2.0 s or
     * more}); empty when none. For timeout messages.
     */
    public String describeInFlight() {
        return timer.describe();
    }

    /**
     * Queues a request. Never throws: a closed ring or (fail-fast) a full one completes {@code done} at once with an
     * error; a blocking ring waits for a free slot.
     */
    public void submit(RequestOp op, long offset, ByteBuffer buffer, RequestCompletion done) {
        long seq = claim(done);
        if (seq >= 0) {
            ring.get(seq).set(op, offset, buffer, done);
            ring.publish(seq);
            submitting.decrementAndGet();
        }
    }

    /** Queues a discard of {@code [offset, offset + length)}; like {@link #submit}. */
    public void submitDiscard(long offset, long length, RequestCompletion done) {
        long seq = claim(done);
        if (seq >= 0) {
            ring.get(seq).setDiscard(offset, length, done);
            ring.publish(seq);
            submitting.decrementAndGet();
        }
    }

    /**
     * Queues a barrier that holds the ring while {@code held} runs: like a FLUSH, it waits for every earlier request
     * and flushes; then, if the flush succeeded, the worker runs {@code held} before it starts anything queued later.
     * {@code done} gets the pause in nanoseconds (from the worker reaching the barrier until {@code held} returned),
     * or the flush's or the action's error. Never throws, like {@link #submit}.
     */
    public void submitHeld(HeldBarrier held, RequestCompletion done) {
        long seq = claim(done);
        if (seq >= 0) {
            ring.get(seq).setHeld(held, done);
            ring.publish(seq);
            submitting.decrementAndGet();
        }
    }

    /**
     * A slot for one request, or -1 after completing {@code done} with the reason there is none (closed, full).
     * On success the caller publishes, then leaves the {@code submitting} count that close waits on.
     */
    private long claim(RequestCompletion done) {
        submitting.incrementAndGet();
        if (closed) {
            submitting.decrementAndGet();
            done.completed(0, closedError());
            return -1;
        }
        if (config.backPressure() == BackPressure.BLOCK) {
            awaitCapacity(1);
            return ring.next();
        }
        try {
            return ring.tryNext();
        } catch (InsufficientCapacityException e) {
            submitting.decrementAndGet();
            done.completed(0, new QueueFullException(config.name(), config.size()));
            return -1;
        }
    }

    /**
     * Queues {@code count} requests with one claim and one publish: the batched path, several times faster than
     * one at a time. {@code source} fills request {@code i}. Blocks for slots whatever the back-pressure mode.
     */
    public void submitBatch(int count, BatchSource source) {
        if (count > config.size()) {
            throw new IllegalArgumentException("batch of " + count + " exceeds the ring's " + config.size() + " slots");
        }
        submitting.incrementAndGet();
        try {
            if (closed) {
                for (int i = 0; i < count; i++) {
                    source.completionOf(i).completed(0, closedError());
                }
                return;
            }
            awaitCapacity(count);
            long hi = ring.next(count);
            long lo = hi - count + 1;
            for (long s = lo; s <= hi; s++) {
                source.fill((int) (s - lo), ring.get(s));
            }
            ring.publish(lo, hi);
        } finally {
            submitting.decrementAndGet();
        }
    }

    /**
     * Waits briefly, spinning then yielding, for {@code n} free slots. Disruptor's own wait in {@code next()} is a
     * {@code parkNanos(1)}, which Linux rounds up to tens of microseconds: a submitter that keeps the ring full
     * would sleep through most of the time the worker needs to drain it. A ring that stays full (a slow host) falls
     * through to {@code next()}'s parking, so a blocked submitter does not burn a core.
     */
    private void awaitCapacity(int n) {
        for (int spins = 0; spins < CAPACITY_SPINS + CAPACITY_YIELDS && !ring.hasAvailableCapacity(n); spins++) {
            if (spins < CAPACITY_SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private IOException closedError() {
        return new IOException(config.name() + ": device is closed");
    }

    /** Fills the requests of a batch; lets callers keep their own preallocated descriptions. */
    public interface BatchSource {
        void fill(int index, Request request);

        RequestCompletion completionOf(int index);
    }

    /** The slot a {@link BatchSource} writes into. */
    public interface Request {
        void set(RequestOp op, long offset, ByteBuffer buffer, RequestCompletion done);
    }

    /**
     * Refuses new requests, starts every published one and waits until all have completed. Bounded: each request
     * completes or times out, so the wait ends at most a request timeout (and two ticks) after the last one started;
     * a ring whose worker is stuck anyway is halted after twice that, or a minute, whichever is longer.
     */
    @Override
    public void close() {
        closed = true;
        while (submitting.get() > 0) {
            Thread.onSpinWait();
        }
        long bound = Math.max(TimeUnit.MINUTES.toNanos(1), 2 * timer.bound().toNanos());
        try {
            disruptor.shutdown(bound, TimeUnit.NANOSECONDS); // every published request has been started
        } catch (com.lmax.disruptor.TimeoutException e) {
            disruptor.halt();
        }
        inFlight.awaitAtMost(0, timer.bound().toNanos());
        timer.close();
    }
}
