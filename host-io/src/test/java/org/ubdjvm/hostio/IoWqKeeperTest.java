package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.hostio.testing.Engines;

/**
 * Issue 19: a request handed to io-wq right after the submitting thread's last ring was torn down could find its
 * worker on the way out and never run (see {@link IoWqKeeper}). That race needs a worker preempted inside a window of
 * about a microsecond, so no bounded test hits it reliably (a C reproducer lost a read after ~20 000 ring teardowns).
 * What a test can show every time is the state the race needs: on kernels with io-wq "exit on idle" (6.18.y, 6.19+)
 * the thread's {@code iou-wrk-TID} worker is torn down once its last ring closes. With the keeper it is not.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IoWqKeeperTest {
    private static final long SYS_GETTID = 186;

    @TempDir
    Path dir;

    @Test
    void aSubmittingThreadKeepsItsIoWqWorkerAfterItsLastEngineIsClosed() throws Exception {
        IoEngine probe = Engines.open("io_uring", 4); // skips where io_uring is missing or forbidden
        probe.close();
        assumeTrue(IoWqKeeper.unavailableReason() == null, "no keeper ring: " + IoWqKeeper.unavailableReason());
        Path path = dir.resolve("img");
        Files.write(path, new byte[4096]);
        CompletableFuture<String> outcome = new CompletableFuture<>();
        // A thread of its own, so no earlier test's engines are in its io_uring task context.
        Thread submitter = new Thread(() -> {
            try {
                outcome.complete(submitCloseAndWatch(path));
            } catch (Throwable e) {
                outcome.completeExceptionally(e);
            }
        }, "iowq-submitter");
        submitter.start();
        assertNull(outcome.get(30, TimeUnit.SECONDS));
        submitter.join();
    }

    /** Null when the worker lived through the close; else what happened. */
    private static String submitCloseAndWatch(Path path) throws Exception {
        long tid = LinuxNatives.syscall(SYS_GETTID, 0, 0, 0, 0, 0, 0);
        String worker = "iou-wrk-" + tid;
        IoEngine engine = Engines.open("io_uring", 4);
        try (HostFile file = HostFile.open(path, OpenMode.READ_WRITE)) {
            // fsync is always handed to io-wq, on every filesystem: it starts this thread's first worker
            assertEquals(0L, await(done -> engine.datasync(file, done), engine));
            // and so is a buffered read that comes back short (past end of file), as issue 19's was on tmpfs
            assertEquals(4096L, await(done -> engine.read(file, ByteBuffer.allocateDirect(8192), 0, done), engine));
            assertTrue(workers(worker) > 0, "no " + worker + " thread after an fsync through io_uring");
            // Closed on another thread, as the properties' closers do; the ring's teardown then runs a task_work on
            // this thread that removes the ring from its task context (io_uring_del_tctx_node).
            Thread closer = new Thread(engine::close, "iowq-closer");
            closer.start();
            closer.join(20_000);
        }
        // Sleeping lets that task_work run here (TWA_SIGNAL interrupts the futex wait). Without the keeper the
        // worker is gone within a few tens of milliseconds of the teardown.
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        while (System.nanoTime() < end) {
            Thread.sleep(20);
            if (workers(worker) == 0) {
                return worker + " exited after its thread's last io_uring closed: a request this thread hands to io-wq"
                        + " next can be stranded (io-wq exit on idle)";
            }
        }
        return null;
    }

    private interface Request {
        void start(IoCompletion done);
    }

    private static long await(Request request, IoEngine engine) throws Exception {
        CompletableFuture<Long> result = new CompletableFuture<>();
        request.start((n, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(n);
            }
        });
        engine.submit();
        return result.get(10, TimeUnit.SECONDS);
    }

    /** Threads of this process named {@code name} (io-wq workers are named after the thread they serve). */
    private static int workers(String name) throws IOException {
        int n = 0;
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).strip().equals(name)) {
                        n++;
                    }
                } catch (IOException gone) {
                    // the thread exited while we listed
                }
            }
        }
        return n;
    }
}
