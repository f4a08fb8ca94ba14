package org.ubdjvm.queue;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A host that completes each request on another thread after a random delay, so completions come back out of
 * order, as from a real AIO engine. Records start and completion on one logical clock.
 */
final class SlowHost implements RequestHandler, AutoCloseable {
    record Event(long time, String what, RequestOp op, long offset) {
    }

    final AtomicLong clock;
    final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService pool = Executors.newScheduledThreadPool(3);
    private final int maxDelayMicros;

    SlowHost(AtomicLong clock, int maxDelayMicros) {
        this.clock = clock;
        this.maxDelayMicros = maxDelayMicros;
    }

    @Override
    public void start(RequestOp op, long offset, long length, ByteBuffer buffer, RequestCompletion done) {
        events.add(new Event(clock.incrementAndGet(), "start", op, offset));
        long delay = maxDelayMicros == 0 ? 0 : ThreadLocalRandom.current().nextInt(maxDelayMicros);
        pool.schedule(() -> {
            events.add(new Event(clock.incrementAndGet(), "done", op, offset));
            done.completed(offset, null);
        }, delay, TimeUnit.MICROSECONDS);
    }

    @Override
    public void close() {
        pool.shutdown();
    }
}
