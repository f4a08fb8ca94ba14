package org.ubdjvm.hostio;

import java.io.IOException;

/**
 * Keeps every thread that submits to io_uring registered with one ring that is never closed, so the kernel never
 * marks that thread's io-wq "exit on idle" and a request it hands to io-wq always finds a worker.
 *
 * <p>Why. io_uring serves requests it cannot finish without blocking (every fsync, a write ext4 hashes, a buffered
 * read that comes back short on tmpfs: {@code __io_read} retries a partial read, {@code io_rw_should_retry} fails
 * without {@code FMODE_BUF_RASYNC}, and the request is punted) on io-wq worker threads ({@code iou-wrk-TID}) that
 * belong to the <em>submitting thread</em>, not to the ring. Linux 6.18.y (and 6.19+) added "exit on idle"
 * ({@code io_wq_set_exit_on_idle}): when the last ring in a thread's task context goes away
 * ({@code io_uring_del_tctx_node}, run on that thread by the ring's teardown), its workers are woken to exit; the
 * thread's next submission clears the flag again ({@code __io_uring_add_tctx_node}). A worker that has already seen
 * the flag but has not yet left the free list and the running count ({@code io_worker_exit}) is still found by
 * {@code io_wq_enqueue}, which therefore starts no new worker; the old one exits without looking at the queue. The
 * request then sits in io-wq with no thread to run it: the SQE is consumed, no CQE ever comes, no {@code iou-wrk}
 * thread exists, and nothing moves until that same thread punts another request. This is how issue 19's read was
 * lost (the first request on a new ring, submitted by a thread whose previous engines had just been closed).
 *
 * <p>A thread that has submitted once to the keeper ring has a node in its task context for as long as it lives, so
 * its task context never empties and the flag is never set: the thread keeps its last idle worker, as every kernel
 * before the change did. Cost: one NOP per thread, once. Kept per platform thread (the project targets Java 17: no
 * virtual threads, whose carrier could change between submissions).
 */
final class IoWqKeeper {
    private static final Object LOCK = new Object();
    private static final ThreadLocal<Boolean> KEPT = new ThreadLocal<>();
    /** Tests turn it off to show the loss it prevents ({@code IoWqStrandSoak}); nothing else does. */
    static volatile boolean enabled = true;
    /** Opened on first use, never closed: its lifetime is what keeps the task contexts non-empty. */
    private static IoUring ring;
    /** Why the keeper ring could not be opened, once; then threads are left as the kernel treats them. */
    private static String unavailable;

    private IoWqKeeper() {
    }

    /** Registers the calling thread with the keeper ring unless it already is; cheap after the first call. */
    static void keepCurrentThread() {
        if (KEPT.get() != null || !enabled) {
            return;
        }
        synchronized (LOCK) {
            if (ring == null && unavailable == null) {
                try {
                    ring = IoUring.openKeeper();
                } catch (IOException | RuntimeException e) {
                    unavailable = e.getMessage();
                }
            }
            if (ring != null) {
                try {
                    ring.nopFromThisThread();
                } catch (IOException | RuntimeException e) {
                    // The workaround must never fail a request: this thread is then left as the kernel treats it.
                }
            }
        }
        KEPT.set(Boolean.TRUE);
    }

    /** Why the keeper ring could not be opened, or null (tests: a skip message). */
    static String unavailableReason() {
        synchronized (LOCK) {
            return unavailable;
        }
    }
}
