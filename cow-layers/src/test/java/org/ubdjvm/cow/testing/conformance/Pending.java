package org.ubdjvm.cow.testing.conformance;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.ubdjvm.hostio.IoCompletion;

/** One request's completion: keeps the first outcome and counts the calls, since each must come exactly once. */
final class Pending implements IoCompletion {
    /** Far longer than any request here takes; a lost completion fails the test instead of hanging it. */
    private static final long TIMEOUT_SECONDS = 30;

    private final CountDownLatch latch = new CountDownLatch(1);
    private final AtomicInteger calls = new AtomicInteger();
    private volatile long result;
    private volatile IOException error;

    @Override
    public void done(long n, IOException e) {
        if (calls.incrementAndGet() == 1) {
            result = n;
            error = e;
            latch.countDown();
        }
    }

    /** True when the completion came within the timeout. */
    boolean await() {
        try {
            return latch.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    int calls() {
        return calls.get();
    }

    long result() {
        return result;
    }

    /** Null on success. */
    IOException error() {
        return error;
    }
}
