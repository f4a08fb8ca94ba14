package org.ubdjvm.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;

class RequestRingTest {
    private static final int THREADS = 4;

    /** Runs {@code perThread} submissions on each of THREADS threads at once. */
    private static void concurrently(int perThread, SubmitOne body) throws InterruptedException {
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            Thread th = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        body.submit(thread, i);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            th.start();
            threads.add(th);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
    }

    interface SubmitOne {
        void submit(int thread, int i);
    }

    @Test
    void aFlushStartsAfterEveryEarlierRequestCompletedAndNothingPassesIt() throws Exception {
        AtomicLong clock = new AtomicLong();
        int perThread = 400;
        Map<Long, Long> submittedAt = new ConcurrentHashMap<>();   // request id -> clock when submit() returned
        Map<Long, Long> completedAt = new ConcurrentHashMap<>();
        CountDownLatch all = new CountDownLatch(THREADS * perThread);
        try (SlowHost host = new SlowHost(clock, 300);
             RequestRing ring = new RequestRing(RingConfig.of("t").withSize(64).withMaxInFlight(16), host)) {
            concurrently(perThread, (thread, i) -> {
                long id = thread * 1_000_000L + i;
                RequestOp op = i % 10 == 9 ? RequestOp.FLUSH : RequestOp.WRITE;
                ring.submit(op, op == RequestOp.FLUSH ? 0 : id, null, (r, e) -> {
                    completedAt.put(id, clock.incrementAndGet());
                    all.countDown();
                });
                submittedAt.put(id, clock.incrementAndGet());
            });
            assertTrue(all.await(60, TimeUnit.SECONDS), "all requests complete");
            List<SlowHost.Event> log = new ArrayList<>(host.events);
            log.sort((a, b) -> Long.compare(a.time(), b.time()));
            int outstanding = 0;
            boolean inFlush = false;
            for (SlowHost.Event e : log) {
                if (e.what().equals("start")) {
                    assertTrue(!inFlush, "a request started while a flush was in flight: " + e);
                    if (e.op() == RequestOp.FLUSH) {
                        assertEquals(0, outstanding, "flush started with earlier requests still in flight");
                        inFlush = true;
                    }
                    outstanding++;
                } else {
                    outstanding--;
                    if (e.op() == RequestOp.FLUSH) {
                        inFlush = false;
                    }
                }
            }
        }
        // From the submitters' side: a write whose submit returned before a flush was submitted completed first.
        for (int t = 0; t < THREADS; t++) {
            for (int i = 9; i < perThread; i += 10) {
                long flush = t * 1_000_000L + i;
                for (int w = i - 9; w < i; w++) {
                    long write = t * 1_000_000L + w;
                    assertTrue(completedAt.get(write) < completedAt.get(flush),
                            "write " + write + " completed after the flush " + flush + " that followed it");
                }
            }
        }
    }

    @Test
    void aFullBlockingRingLosesAndDuplicatesNothing() throws Exception {
        int perThread = 500;
        AtomicReferenceArray<Integer> times = new AtomicReferenceArray<>(THREADS * perThread);
        CountDownLatch all = new CountDownLatch(THREADS * perThread);
        try (SlowHost host = new SlowHost(new AtomicLong(), 100);
             RequestRing ring = new RequestRing(RingConfig.of("t").withSize(8).withMaxInFlight(4), host)) {
            concurrently(perThread, (thread, i) -> {
                int id = thread * perThread + i;
                ring.submit(RequestOp.READ, id, null, (r, e) -> {
                    if (e != null || r != id) {
                        fail("request " + id + " completed with " + r + ", " + e);
                    }
                    times.accumulateAndGet(id, 1, (a, b) -> a == null ? b : a + b);
                    all.countDown();
                });
                assertTrue(ring.inFlight() <= 4, "in-flight bound");
            });
            assertTrue(all.await(60, TimeUnit.SECONDS), "all requests complete");
        }
        for (int id = 0; id < THREADS * perThread; id++) {
            assertEquals(1, times.get(id), "request " + id + " completions");
        }
    }

    @Test
    void aTinyRingReusesItsTrackersUnderLoadWithoutStalling() {
        // Two slots, completions racing the worker: every tracker is reused while its last request is finishing.
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> {
            int perThread = 3000;
            CountDownLatch all = new CountDownLatch(THREADS * perThread);
            try (SlowHost host = new SlowHost(new AtomicLong(), 20);
                 RequestRing ring = new RequestRing(RingConfig.of("t").withSize(2).withMaxInFlight(2), host)) {
                concurrently(perThread, (thread, i) -> ring.submit(RequestOp.READ, i, null, (r, e) -> all.countDown()));
                assertTrue(all.await(60, TimeUnit.SECONDS), "all requests complete");
            }
        });
    }

    @Test
    void aFullFailFastRingRefusesWithQueueFullAndCompletesEverythingOnce() throws Exception {
        int perThread = 500;
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger full = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(THREADS * perThread);
        try (SlowHost host = new SlowHost(new AtomicLong(), 200);
             RequestRing ring = new RequestRing(RingConfig.of("t").withSize(4).withMaxInFlight(2)
                     .withBackPressure(BackPressure.FAIL_FAST), host)) {
            concurrently(perThread, (thread, i) -> ring.submit(RequestOp.READ, i, null, (r, e) -> {
                if (e == null) {
                    ok.incrementAndGet();
                } else {
                    assertInstanceOf(QueueFullException.class, e);
                    full.incrementAndGet();
                }
                all.countDown();
            }));
            assertTrue(all.await(60, TimeUnit.SECONDS), "all requests complete");
        }
        assertEquals(THREADS * perThread, ok.get() + full.get());
        assertTrue(full.get() > 0, "a 4-slot ring under 4 threads must fill up");
    }

    @Test
    void closeCompletesEverythingInFlightAndRefusesWhatComesAfter() throws Exception {
        int n = 200;
        Map<Integer, Integer> completions = new ConcurrentHashMap<>();
        try (SlowHost host = new SlowHost(new AtomicLong(), 2000)) {
            RequestRing ring = new RequestRing(RingConfig.of("t").withSize(256).withMaxInFlight(32), host);
            for (int i = 0; i < n; i++) {
                int id = i;
                ring.submit(RequestOp.WRITE, i, null, (r, e) -> completions.merge(id, 1, Integer::sum));
            }
            ring.close();
            assertEquals(n, completions.size(), "every request submitted before close completed by the time close returned");
            assertTrue(completions.values().stream().allMatch(c -> c == 1));
            IOException[] after = new IOException[1];
            ring.submit(RequestOp.READ, 0, null, (r, e) -> after[0] = e);
            assertTrue(after[0].getMessage().contains("device is closed"), String.valueOf(after[0]));
        }
    }

    @Test
    void aBatchIsClaimedAndPublishedOnce() throws Exception {
        int n = 64;
        CountDownLatch all = new CountDownLatch(n);
        Map<Long, Integer> seen = new HashMap<>();
        try (SlowHost host = new SlowHost(new AtomicLong(), 0);
             RequestRing ring = new RequestRing(RingConfig.of("t").withSize(128), host)) {
            RequestCompletion done = (r, e) -> {
                synchronized (seen) {
                    seen.merge(r, 1, Integer::sum);
                }
                all.countDown();
            };
            ring.submitBatch(n, new RequestRing.BatchSource() {
                @Override
                public void fill(int index, RequestRing.Request request) {
                    request.set(RequestOp.READ, index, null, done);
                }

                @Override
                public RequestCompletion completionOf(int index) {
                    return done;
                }
            });
            assertTrue(all.await(10, TimeUnit.SECONDS));
        }
        assertEquals(n, seen.size());
    }
}
