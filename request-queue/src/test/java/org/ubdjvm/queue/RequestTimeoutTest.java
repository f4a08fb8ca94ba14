package org.ubdjvm.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** blk-mq's request timeout on the ring: a request the host sits on fails with ETIMEDOUT, the rest go on. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestTimeoutTest {
    private static final Duration TIMEOUT = Duration.ofMillis(300);

    /** Answers every request at once on the worker, except the one at {@link #LOST}, whose completion it keeps. */
    private static final class LosingHost implements RequestHandler {
        static final long LOST = 4096 * 7;
        final CompletableFuture<RequestCompletion> lost = new CompletableFuture<>();
        final List<Duration> cancelCalls = new CopyOnWriteArrayList<>();

        @Override
        public void start(RequestOp op, long offset, long length, ByteBuffer buffer, RequestCompletion done) {
            if (offset == LOST && op == RequestOp.READ && !lost.isDone()) {
                lost.complete(done);
                return;
            }
            done.completed(offset, null);
        }

        @Override
        public void cancelOverdue(Duration timeout) {
            cancelCalls.add(timeout);
        }
    }

    @Test
    void aRequestTheHostNeverAnswersFailsWithEtimedoutAndTheOthersKeepCompleting() throws Exception {
        LosingHost host = new LosingHost();
        Map<Long, Integer> completions = new ConcurrentHashMap<>();
        Duration timeout = Duration.ofSeconds(1);
        try (RequestRing ring = new RequestRing(RingConfig.of("ubda").withSize(16).withMaxInFlight(4)
                .withRequestTimeout(timeout), host)) {
            CompletableFuture<IOException> lostOutcome = new CompletableFuture<>();
            long submitted = System.nanoTime();
            ring.submit(RequestOp.READ, LosingHost.LOST, ByteBuffer.allocate(4096), (r, e) -> {
                lostOutcome.complete(e);
                completions.merge(LosingHost.LOST, 1, Integer::sum);
            });
            host.lost.get(10, TimeUnit.SECONDS);
            assertTrue(ring.describeInFlight().startsWith("ubda: read of 4096 bytes at offset 28672, in flight "),
                    ring.describeInFlight());
            // Until the ring comes round to the lost request's slot, the others go past it at once.
            submitAndAwait(ring, 0, 14, RequestOp.READ, completions);
            assertTrue(!lostOutcome.isDone(), "timed out already, after " + (System.nanoTime() - submitted) / 1_000_000
                    + " ms");
            // Then a flush (it waits for everything before it: the lost read too, until its timeout), and requests
            // that reuse the lost one's slot many times over.
            submitAndAwait(ring, 100, 1, RequestOp.FLUSH, completions);
            IOException timedOut = lostOutcome.get(10, TimeUnit.SECONDS);
            long took = System.nanoTime() - submitted;
            assertInstanceOf(RequestTimeoutException.class, timedOut);
            assertEquals("ubda: read of 4096 bytes at offset 28672 timed out after 1 s: ETIMEDOUT (Connection"
                    + " timed out)", timedOut.getMessage());
            assertTrue(took >= timeout.toNanos(), "timed out early: " + took / 1_000_000 + " ms");
            assertTrue(took < timeout.toNanos() + TimeUnit.SECONDS.toNanos(2), "took " + took / 1_000_000 + " ms");
            submitAndAwait(ring, 200, 300, RequestOp.WRITE, completions);
            awaitTrue(() -> !host.cancelCalls.isEmpty(), "the host was asked to cancel");
            assertEquals(timeout, host.cancelCalls.get(0));

            // The host answers at last: dropped, and it completes none of the requests now using its slot.
            host.lost.get().completed(4096, null);
            int calls = host.cancelCalls.size();
            Thread.sleep(3 * RequestTimer.tick(timeout).toMillis());
            assertTrue(host.cancelCalls.size() <= calls + 1, "no more cancels once the host answered");
            submitAndAwait(ring, 1000, 100, RequestOp.READ, completions);
            assertEquals("", ring.describeInFlight());
        }
        assertTrue(completions.values().stream().allMatch(c -> c == 1), "each request completed once: " + completions);
        assertEquals(1 + 14 + 1 + 300 + 100, completions.size());
    }

    /** Submits {@code n} requests one after another, each checked to complete with its own result. */
    private static void submitAndAwait(RequestRing ring, long first, int n, RequestOp op, Map<Long, Integer> completions)
            throws Exception {
        for (long id = first; id < first + n; id++) {
            long offset = 1_000_000 + id;
            CompletableFuture<Long> f = new CompletableFuture<>();
            ring.submit(op, offset, null, (r, e) -> {
                completions.merge(offset, 1, Integer::sum);
                f.complete(e != null ? -1 : op == RequestOp.FLUSH ? offset : r);
            });
            assertEquals(offset, f.get(10, TimeUnit.SECONDS), op + " at " + offset);
        }
    }

    @Test
    void closeWaitsForALostRequestNoLongerThanItsTimeout() throws Exception {
        LosingHost host = new LosingHost();
        RequestRing ring = new RequestRing(RingConfig.of("ubdb").withRequestTimeout(TIMEOUT), host);
        CompletableFuture<IOException> outcome = new CompletableFuture<>();
        ring.submit(RequestOp.READ, LosingHost.LOST, null, (r, e) -> outcome.complete(e));
        host.lost.get(10, TimeUnit.SECONDS);
        long start = System.nanoTime();
        ring.close();
        long took = System.nanoTime() - start;
        assertTrue(outcome.isDone(), "close returned with the request not completed");
        assertInstanceOf(RequestTimeoutException.class, outcome.get());
        assertTrue(took < TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(2), "close took " + took / 1_000_000 + " ms");
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(5);
        }
    }
}
