package org.ubdjvm.props;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.ubdjvm.hostio.IoEngine;

/**
 * Closes the engines the tries create. Closing an aio engine waits about 35 ms in io_destroy (the kernel waits for
 * an RCU grace period), which over 1000 tries would cost more than the tries themselves; so an async engine is
 * closed on a few background threads (the try has closed every image on it first), and {@link #awaitAll} at the end
 * of each property waits for every close begun, so no engine outlives its property. Inline engines close at once.
 */
final class EngineCloser {
    private static final ExecutorService CLOSERS = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "props-engine-closer");
        t.setDaemon(true);
        return t;
    });
    private static final List<Future<?>> PENDING = new ArrayList<>();

    private EngineCloser() {
    }

    /** Closes {@code engine}, whose images are all closed: now if it completes inline, else soon. */
    static void close(IoEngine engine, String name) {
        if (name.equals("sync") || name.equals("mmap")) {
            engine.close();
            return;
        }
        synchronized (PENDING) {
            PENDING.removeIf(Future::isDone);
            PENDING.add(CLOSERS.submit(engine::close));
        }
    }

    /** Waits until every engine handed over has closed; rethrows what a close threw. */
    static void awaitAll() {
        List<Future<?>> all;
        synchronized (PENDING) {
            all = List.copyOf(PENDING);
            PENDING.clear();
        }
        for (Future<?> f : all) {
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new AssertionError("closing an engine failed", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while closing engines", e);
            } catch (TimeoutException e) {
                throw new AssertionError("an engine did not close within 30 s", e);
            }
        }
    }
}
