package org.ubdjvm.harness.bench;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.ubdjvm.queue.RequestCompletion;
import org.ubdjvm.queue.RequestHandler;
import org.ubdjvm.queue.RequestOp;
import org.ubdjvm.queue.RequestRing;
import org.ubdjvm.queue.RingConfig;

/**
 * The request ring alone: no-op requests completed by the worker as soon as it starts them, from several submitter
 * threads, against the usual Java hand-off (an {@link ArrayBlockingQueue} with one consumer) in the same run.
 */
public final class RingBenchmark {
    static final int BATCH = 64;
    /** Requests per producer thread in one ring measurement: long enough for the JIT, short enough to repeat. */
    private static final long RING_REQUESTS = 16_000_000;
    private static final RequestHandler NOOP = (op, offset, length, buffer, completion) -> completion.completed(0, null);

    /** {@code allocatedBytes}: by every thread of the JVM while measuring (producers, worker or consumer). */
    public record Result(String name, long requests, long nanos, long allocatedBytes) {
        public double millionsPerSecond() {
            return requests / (nanos / 1e9) / 1e6;
        }

        public double allocBytesPerOp() {
            return AllocationMeter.perOp(0, allocatedBytes, requests);
        }
    }

    private RingBenchmark() {
    }

    /**
     * The ring against an ArrayBlockingQueue hand-off with the same producers, alternately in the same run, {@code
     * repeats} rounds after one unreported round of each (so neither side is measured while the JIT compiles it).
     */
    public static RingReport compare(int producers, int repeats) throws InterruptedException {
        long perProducer = RING_REQUESTS / producers;
        ring(producers, perProducer);
        arrayBlockingQueue(producers, perProducer);
        List<RingReport.Round> rounds = new ArrayList<>();
        for (int r = 1; r <= repeats; r++) {
            rounds.add(new RingReport.Round(ring(producers, perProducer), arrayBlockingQueue(producers, perProducer)));
        }
        return new RingReport(producers, BATCH, producers * perProducer, rounds);
    }

    /**
     * Counts completions on the one thread that runs them (the ring's worker, the queue's consumer) and wakes the
     * waiting thread at the last one, so the main thread parks instead of spinning for a core of its own.
     */
    private static final class Completions implements RequestCompletion {
        private final long total;
        private final CountDownLatch all = new CountDownLatch(1);
        private long count;

        Completions(long total) {
            this.total = total;
        }

        @Override
        public void completed(long result, java.io.IOException error) {
            if (++count == total) {
                all.countDown();
            }
        }
    }

    /** Ring: batched claim and publish, the path the guest uses for bursts. */
    static Result ring(int producers, long perProducer) throws InterruptedException {
        Completions done = new Completions(producers * perProducer);
        // One submitter thread: the single-producer claim path (no per-slot availability flags to scan).
        try (RequestRing ring = new RequestRing(RingConfig.of("bench").withSize(4096).withMaxInFlight(4096)
                .withSpinWait(true).withSingleSubmitter(producers == 1), NOOP)) {
            RequestRing.BatchSource source = new RequestRing.BatchSource() {
                @Override
                public void fill(int index, RequestRing.Request request) {
                    request.set(RequestOp.READ, index, null, done);
                }

                @Override
                public RequestCompletion completionOf(int index) {
                    return done;
                }
            };
            return timed("ring", producers, perProducer, () -> {
                for (long i = 0; i < perProducer; i += BATCH) {
                    ring.submitBatch(BATCH, source);
                }
            }, done.all);
        }
    }

    /** What the queue carries: the same fields a ring slot holds, in a new object per request as queues need. */
    private record QueuedRequest(RequestOp op, long offset, ByteBuffer buffer, RequestCompletion done) {
    }

    /**
     * The same hand-off through an ArrayBlockingQueue: the usual Java shape, a new request object put per request,
     * one consumer taking them and starting each with the same no-op handler.
     */
    static Result arrayBlockingQueue(int producers, long perProducer) throws InterruptedException {
        Completions done = new Completions(producers * perProducer);
        ArrayBlockingQueue<QueuedRequest> queue = new ArrayBlockingQueue<>(4096);
        Thread consumer = new Thread(() -> {
            try {
                while (true) {
                    QueuedRequest r = queue.take();
                    NOOP.start(r.op(), r.offset(), 0, r.buffer(), r.done());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "abq-consumer");
        consumer.setDaemon(true);
        consumer.start();
        try {
            return timed("ArrayBlockingQueue", producers, perProducer, () -> {
                for (long i = 0; i < perProducer; i++) {
                    queue.put(new QueuedRequest(RequestOp.READ, i, null, done));
                }
            }, done.all);
        } finally {
            consumer.interrupt();
        }
    }

    interface Producer {
        void run() throws InterruptedException;
    }

    private static Result timed(String name, int producers, long perProducer, Producer body, CountDownLatch finished)
            throws InterruptedException {
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        // the producers end inside the window, so each counts its own allocation; the other threads are read live
        AtomicLong producersAllocated = new AtomicLong();
        long othersStart = AllocationMeter.allocatedBytes();
        for (int p = 0; p < producers; p++) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    long before = AllocationMeter.currentThreadBytes();
                    body.run();
                    producersAllocated.addAndGet(AllocationMeter.currentThreadBytes() - before);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, name + "-producer-" + p);
            t.start();
            threads.add(t);
        }
        long start = System.nanoTime();
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        finished.await();
        long nanos = System.nanoTime() - start;
        long others = AllocationMeter.allocatedBytes() - othersStart;
        return new Result(name, producers * perProducer, nanos, others + producersAllocated.get());
    }
}
