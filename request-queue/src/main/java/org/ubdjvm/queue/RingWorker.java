package org.ubdjvm.queue;

import com.lmax.disruptor.EventHandler;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;

/**
 * The ring's single consumer. Starts requests in ring order, lets the handler push a whole batch to the host at
 * {@code endOfBatch}, and enforces barriers: a FLUSH starts only when every earlier request has completed, and
 * nothing after it starts until it has completed. That is the 2.6 barrier the seed wants to sync on.
 */
final class RingWorker implements EventHandler<RequestSlot> {
    private final RequestHandler handler;
    private final InFlight inFlight;
    private final int maxInFlight;

    RingWorker(RequestHandler handler, InFlight inFlight, int maxInFlight) {
        this.handler = handler;
        this.inFlight = inFlight;
        this.maxInFlight = maxInFlight;
    }

    @Override
    public void onEvent(RequestSlot slot, long sequence, boolean endOfBatch) {
        RequestOp op = slot.op;
        long offset = slot.offset;
        ByteBuffer buffer = slot.buffer;
        RequestCompletion done = slot.done;
        slot.clear();
        if (op == RequestOp.FLUSH) {
            barrier(done);
        } else {
            if (inFlight.count() >= maxInFlight) {
                handler.endOfBatch(); // what we started must reach the host before we can wait for it
                inFlight.awaitAtMost(maxInFlight - 1);
            }
            start(op, offset, buffer, done);
        }
        if (endOfBatch) {
            handler.endOfBatch();
        }
    }

    private void start(RequestOp op, long offset, ByteBuffer buffer, RequestCompletion done) {
        inFlight.started();
        // Completion first, then the count: a flush waiting on the count must not complete before this request did.
        RequestCompletion counted = (r, e) -> {
            try {
                done.completed(r, e);
            } finally {
                inFlight.finished();
            }
        };
        try {
            handler.start(op, offset, buffer, counted);
        } catch (RuntimeException e) {
            counted.completed(0, new IOException("request failed to start: " + e, e));
        }
    }

    private void barrier(RequestCompletion done) {
        handler.endOfBatch();
        inFlight.awaitAtMost(0);
        CountDownLatch flushed = new CountDownLatch(1);
        start(RequestOp.FLUSH, 0, null, (r, e) -> {
            try {
                done.completed(r, e);
            } finally {
                flushed.countDown();
            }
        });
        handler.endOfBatch();
        awaitUninterruptibly(flushed);
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
