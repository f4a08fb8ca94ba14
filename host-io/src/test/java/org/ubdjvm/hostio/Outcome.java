package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Records the completion of one request and checks that it came exactly once. */
final class Outcome implements IoCompletion {
    private final CountDownLatch latch = new CountDownLatch(1);
    private final AtomicInteger calls = new AtomicInteger();
    private volatile long result;
    private volatile IOException error;

    @Override
    public void done(long result, IOException error) {
        this.result = result;
        this.error = error;
        calls.incrementAndGet();
        latch.countDown();
    }

    /** Waits for the completion; returns its result, or throws its error. */
    long result() throws IOException, InterruptedException {
        awaitOnce();
        if (error != null) {
            throw error;
        }
        return result;
    }

    /** Waits for the completion, which must have failed; returns the error. */
    IOException error() throws InterruptedException {
        awaitOnce();
        assertNotNull(error, "expected an error, got result " + result);
        return error;
    }

    /** Waits for the completion, whatever it was; null on success. */
    IOException errorOrNull() throws InterruptedException {
        awaitOnce();
        return error;
    }

    private void awaitOnce() throws InterruptedException {
        assertTrue(latch.await(20, TimeUnit.SECONDS), "request never completed");
        assertEquals(1, calls.get(), "completion calls");
    }

    int calls() {
        return calls.get();
    }
}
