package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.hostio.testing.Fifos;
import org.ubdjvm.hostio.testing.Engines;

/** What the kernel-queue engines add to the conformance suite: batching, back-pressure, errno names, close. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AsyncEngineTest {
    @TempDir
    Path dir;

    /** A 16-byte read of an empty pipe, submitted: the kernel keeps it until data comes. */
    private static Outcome readOfEmptyPipe(IoEngine engine, HostFile pipe) {
        Outcome stuck = new Outcome();
        engine.read(pipe, ByteBuffer.allocateDirect(16), 0, stuck);
        engine.submit();
        return stuck;
    }

    /** A named pipe: io_uring holds a read of an empty one until data comes, a request the kernel sits on. */
    private Path fifo(String name) throws Exception {
        return Fifos.mkfifo(dir.resolve(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "aio"})
    void aBatchGoesToTheKernelInOneSyscall(String name) throws Exception {
        Path p = Files.write(dir.resolve("batch"), EngineConformanceTest.pattern(32 * 4096, 1));
        try (AsyncEngine engine = (AsyncEngine) Engines.open(name, 64); HostFile file = HostFile.open(p, OpenMode.READ_ONLY)) {
            List<Outcome> outcomes = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                Outcome o = new Outcome();
                outcomes.add(o);
                engine.read(file, ByteBuffer.allocateDirect(4096), i * 4096L, o);
            }
            long before = engine.submitCalls();
            engine.submit();
            assertEquals(1, engine.submitCalls() - before);
            for (Outcome o : outcomes) {
                assertEquals(4096, o.result());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "aio"})
    void aPluggedThreadsSubmitsWaitForUnplugAndOtherThreadsAreNotHeld(String name) throws Exception {
        Path p = Files.write(dir.resolve("plug"), EngineConformanceTest.pattern(16 * 4096, 3));
        try (AsyncEngine engine = (AsyncEngine) Engines.open(name, 64); HostFile file = HostFile.open(p, OpenMode.READ_ONLY)) {
            long before = engine.submitCalls();
            engine.plug();
            List<Outcome> outcomes = new ArrayList<>();
            for (int i = 0; i < 16; i++) { // each request followed by submit(), as images do: held while plugged
                Outcome o = new Outcome();
                outcomes.add(o);
                engine.read(file, ByteBuffer.allocateDirect(4096), i * 4096L, o);
                engine.submit();
            }
            assertEquals(0, engine.submitCalls() - before, "nothing submitted inside the plug");
            Outcome other = new Outcome();
            Thread t = new Thread(() -> engine.read(file, ByteBuffer.allocateDirect(4096), 0, other));
            t.start();
            t.join();
            Thread s = new Thread(engine::submit); // another thread's submit is not held (and takes the batch)
            s.start();
            s.join();
            assertEquals(1, engine.submitCalls() - before);
            engine.unplug();
            for (Outcome o : outcomes) {
                assertEquals(4096, o.result());
            }
            assertEquals(4096, other.result());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "aio"})
    void aCallerThatFillsTheQueueIsHeldBackAndItsRequestsStillGoOut(String name) throws Exception {
        byte[] data = EngineConformanceTest.pattern(100 * 512, 2);
        Path p = Files.write(dir.resolve("full"), data);
        try (IoEngine engine = Engines.open(name, 2); HostFile file = HostFile.open(p, OpenMode.READ_ONLY)) {
            List<Outcome> outcomes = new ArrayList<>();
            List<ByteBuffer> buffers = new ArrayList<>();
            for (int i = 0; i < 100; i++) { // never submit() inside the loop: a full queue must submit itself
                Outcome o = new Outcome();
                ByteBuffer b = ByteBuffer.allocate(512);
                outcomes.add(o);
                buffers.add(b);
                engine.read(file, b, i * 512L, o);
            }
            engine.submit();
            for (int i = 0; i < 100; i++) {
                assertEquals(512, outcomes.get(i).result());
                assertArrayEquals(java.util.Arrays.copyOfRange(data, i * 512, (i + 1) * 512), buffers.get(i).array());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "aio"})
    void heapBuffersLargerThanTheKeptBounceBufferWork(String name) throws Exception {
        int size = 3 * RequestSlot.RETAINED_BOUNCE + 123;
        byte[] data = EngineConformanceTest.pattern(size, 3);
        Path p = dir.resolve("big");
        try (IoEngine engine = Engines.open(name, 4); HostFile file = HostFile.open(p, OpenMode.CREATE_NEW)) {
            Outcome w = new Outcome();
            engine.write(file, ByteBuffer.wrap(data), 7, w);
            engine.submit();
            assertEquals(size, w.result());
            ByteBuffer back = ByteBuffer.allocate(size + 100);
            Outcome r = new Outcome();
            engine.read(file, back, 7, r);
            engine.submit();
            assertEquals(size, r.result());
            assertArrayEquals(data, java.util.Arrays.copyOf(back.array(), size));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "aio"})
    void hostErrorsCarryTheErrnoName(String name) throws Exception {
        Path full = Path.of("/dev/full");
        assumeTrue(Files.isWritable(full), "/dev/full is not available here");
        try (IoEngine engine = Engines.open(name, 4); HostFile file = HostFile.openAnyKind(full, OpenMode.READ_WRITE)) {
            Outcome w = new Outcome();
            engine.write(file, ByteBuffer.allocateDirect(512), 1024, w);
            engine.submit();
            // io_uring passes the device's own ENOSPC; Linux AIO refuses a device without write_iter at io_submit.
            String expected = name.equals("io_uring") ? "ENOSPC (No space left on device)" : "EINVAL (Invalid argument)";
            assertEquals(full + ": write of 512 bytes at offset 1024 failed: " + expected, w.error().getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "aio"})
    void closingFromACompletionStopsTheEngineWithoutHanging(String name) throws Exception {
        Path p = Files.write(dir.resolve("self"), new byte[4096]);
        IoEngine engine = Engines.open(name, 4);
        try (HostFile file = HostFile.open(p, OpenMode.READ_ONLY)) {
            Outcome inner = new Outcome();
            Outcome outer = new Outcome();
            engine.read(file, ByteBuffer.allocate(4096), 0, (n, e) -> {
                engine.close();
                engine.read(file, ByteBuffer.allocate(1), 0, inner);
                outer.done(n, e);
            });
            engine.submit();
            assertEquals(4096, outer.result());
            assertTrue(inner.error().getMessage().endsWith("refused: engine " + name + " is closed"));
            long start = System.nanoTime();
            engine.close();
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "second close waited");
        }
    }

    @Test
    void closeFailsARequestTheKernelNeverAnswersThenLetsGoWhenItDoes() throws Exception {
        Path fifo = fifo("fifo");
        // io_uring parks a read of an empty pipe until data comes: a request the kernel holds as long as it likes.
        // (Linux AIO would instead block inside io_submit; that limit is documented.)
        AsyncEngine engine = AsyncEngine.ioUring(4, Duration.ofMillis(200));
        try (HostFile file = HostFile.openAnyKind(fifo, OpenMode.READ_WRITE)) {
            Outcome stuck = readOfEmptyPipe(engine, file);
            engine.close();
            assertEquals(fifo + ": read of 16 bytes at offset 0 abandoned: engine io_uring closed before the kernel"
                    + " answered", stuck.error().getMessage());
            assertTrue(engine.reaperAlive(), "the reaper must outlive close while the kernel holds a buffer");
            Files.write(fifo, new byte[16]); // the kernel answers at last; the answer is dropped, not reported
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (engine.reaperAlive() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertFalse(engine.reaperAlive(), "reaper still running after the kernel answered");
            assertEquals(1, stuck.calls());
        }
    }

    /**
     * The driver's request timeout relies on this: a request the kernel sits on is failed with ECANCELED, the kernel
     * is told to drop it, its slot comes back once the kernel has let go, and later data goes to later requests only.
     */
    @Test
    void cancelFailsARequestTheKernelSitsOnAndTheKernelLetsGoOfIt() throws Exception {
        Path fifo = fifo("stuck");
        try (AsyncEngine engine = (AsyncEngine) Engines.open("io_uring", 1);
             HostFile file = HostFile.openAnyKind(fifo, OpenMode.READ_WRITE)) {
            Outcome stuck = new Outcome();
            ByteBuffer heap = ByteBuffer.allocate(16);
            engine.read(file, heap, 0, stuck);
            engine.submit();
            Thread.sleep(50);
            String dump = engine.describeInFlight();
            assertTrue(dump.startsWith("io_uring: 1 of 1 slots busy, 0 parked, 1 owed by the kernel; SQ head 1 tail 1"
                    + " dropped 0, CQ head 0 tail 0 overflow 0\n  slot 0: read of 16 bytes at offset 0 of " + fifo + ", "),
                    dump);
            assertTrue(dump.endsWith(" s in flight"), dump);
            assertEquals(0, engine.cancelOlderThan(Duration.ofHours(1)), "a young request is left alone");
            assertEquals(1, engine.cancelOlderThan(Duration.ofMillis(10)));
            String message = stuck.error().getMessage();
            assertTrue(message.matches(java.util.regex.Pattern.quote(fifo + ": read of 16 bytes at offset 0 cancelled after ")
                    + "0\\.\\d{3} s in flight: ECANCELED \\(Operation canceled\\)"), message);
            assertEquals(0, engine.cancelOlderThan(Duration.ZERO), "given up once only");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!engine.describeInFlight().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals("", engine.describeInFlight(), "the kernel let go: the slot is free again");
            Files.write(fifo, new byte[16]);
            Outcome next = new Outcome();
            engine.read(file, ByteBuffer.allocate(16), 0, next);
            engine.submit();
            assertEquals(16, next.result(), "the data goes to the request that is there, on the one slot");
            assertEquals(1, stuck.calls());
            assertEquals(0, heap.position(), "the cancelled request's buffer was never written");
        }
    }

    /** A kernel that holds every slot (a lost request, a hung pipe) fails the next caller's request, never hangs it. */
    @Test
    void aCallerFindingEverySlotHeldTooLongFailsWithEtimedout() throws Exception {
        Path fifo = fifo("full");
        AsyncEngine engine = AsyncEngine.ioUring(1, Duration.ofMillis(200));
        try (HostFile file = HostFile.openAnyKind(fifo, OpenMode.READ_WRITE)) {
            Outcome stuck = readOfEmptyPipe(engine, file);
            Outcome waiting = new Outcome();
            long start = System.nanoTime();
            // No slot: waits, then gives up (preemptively bounded, so a wait without a bound fails, not hangs).
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> engine.read(file, ByteBuffer.allocateDirect(16), 0, waiting));
            long took = System.nanoTime() - start;
            String message = waiting.error().getMessage();
            assertTrue(message.startsWith(fifo + ": read at offset 0 refused: no slot of engine io_uring came free in"
                    + " 0.600 s: ETIMEDOUT (Connection timed out); io_uring: 1 of 1 slots busy"), message);
            assertTrue(message.contains("; slot 0: read of 16 bytes at offset 0 of " + fifo), message);
            assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(600) && took < TimeUnit.SECONDS.toNanos(5),
                    took / 1_000_000 + " ms");
            Files.write(fifo, new byte[16]);
            assertEquals(16, stuck.result(), "the request that held the slot is unharmed");
        } finally {
            engine.close();
        }
    }

    /**
     * The stall watch (issue 19): a request the kernel sits on is asked back and sent again, not failed, so a request
     * the kernel took and never started cannot hang a guest; data that comes later still reaches it, once.
     */
    @Test
    void aRequestTheKernelSitsOnIsCancelledAndSentAgainNotFailed() throws Exception {
        Path fifo = fifo("stalled");
        AsyncEngine engine = AsyncEngine.ioUring(4, Duration.ofMillis(200), Duration.ofMillis(100));
        try (HostFile file = HostFile.openAnyKind(fifo, OpenMode.READ_WRITE)) {
            Outcome stalled = new Outcome();
            ByteBuffer dst = ByteBuffer.allocate(16);
            engine.read(file, dst, 0, stalled);
            engine.submit();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (engine.stallResends() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(engine.stallResends() >= 2, "sent again " + engine.stallResends() + " times");
            assertEquals(0, stalled.calls(), "still waiting, not failed");
            assertTrue(engine.describeInFlight().contains(" stalled requests sent again"), engine.describeInFlight());
            Files.write(fifo, "sixteen bytes!!!".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals(16, stalled.result());
            assertEquals("sixteen bytes!!!", new String(dst.array(), java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals(1, stalled.calls());
        } finally {
            engine.close();
        }
    }

    @Test
    void anIdleEngineHasNothingToDescribeAndAioShowsItsRing() throws Exception {
        try (IoEngine engine = Engines.open("aio", 4)) {
            assertEquals("", engine.describeInFlight());
            assertEquals(0, engine.cancelOlderThan(Duration.ZERO));
        }
        LinuxAio aio = LinuxAio.open(4);
        try {
            assertTrue(aio.describe().matches("completion ring head 0 tail 0 of \\d+, 0 queued unsent"), aio.describe());
        } finally {
            aio.close();
        }
    }

    /** Removed (not replaced) after open, as a backing deleted mid-run: the open file is still served, as by the kernel. */
    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "aio"})
    void aFileRemovedSinceItWasOpenedIsStillServed(String name) throws Exception {
        Path p = Files.write(dir.resolve("removed"), new byte[] {7});
        try (IoEngine engine = Engines.open(name, 4); HostFile file = HostFile.open(p, OpenMode.READ_ONLY)) {
            Files.delete(p);
            ByteBuffer one = ByteBuffer.allocate(1);
            Outcome r = new Outcome();
            engine.read(file, one, 0, r);
            engine.submit();
            assertEquals(1, r.result());
            assertEquals(7, one.get(0));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "aio"})
    void aFileReplacedSinceItWasOpenedIsRefusedNotServed(String name) throws Exception {
        Path p = Files.write(dir.resolve("victim"), new byte[] {1});
        Path other = Files.write(dir.resolve("other"), new byte[] {2});
        try (IoEngine engine = Engines.open(name, 4); HostFile file = HostFile.open(p, OpenMode.READ_ONLY)) {
            Files.move(other, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Outcome r = new Outcome();
            engine.read(file, ByteBuffer.allocate(1), 0, r);
            engine.submit();
            IOException e = r.error();
            assertEquals(p + ": file was replaced since it was opened; reopen it", e.getMessage());
        }
    }

    @Test
    void ioUringAnswersFromThePageCacheRunOnTheSubmittingThread() throws Exception {
        Path p = Files.write(dir.resolve("cached"), EngineConformanceTest.pattern(64 * 4096, 6));
        try (AsyncEngine engine = (AsyncEngine) Engines.open("io_uring", 64);
             HostFile file = HostFile.open(p, OpenMode.READ_ONLY)) {
            Thread submitter = Thread.currentThread();
            java.util.concurrent.atomic.AtomicInteger here = new java.util.concurrent.atomic.AtomicInteger();
            List<Outcome> outcomes = new ArrayList<>();
            for (int round = 0; round < 10; round++) {
                for (int i = 0; i < 64; i++) {
                    Outcome o = new Outcome();
                    outcomes.add(o);
                    engine.read(file, ByteBuffer.allocateDirect(4096), i * 4096L, (n, e) -> {
                        if (Thread.currentThread() == submitter) {
                            here.incrementAndGet();
                        }
                        o.done(n, e);
                    });
                }
                engine.submit();
            }
            for (Outcome o : outcomes) {
                assertEquals(4096, o.result());
            }
            // The kernel answers cached reads inside io_uring_enter; submit() takes them before it returns. A few
            // may still go to the kernel's workers (a page being read ahead), and those are the reaper's.
            assertTrue(here.get() > outcomes.size() / 2, here.get() + " of " + outcomes.size() + " ran on the submitter");
        }
    }

    @Test
    void anAnswerTheSubmitDidNotGetIsTheReapersAndNoSubmitIsNeededForIt() throws Exception {
        Path fifo = fifo("later");
        try (AsyncEngine engine = (AsyncEngine) Engines.open("io_uring", 4);
             HostFile file = HostFile.openAnyKind(fifo, OpenMode.READ_WRITE)) {
            Outcome later = new Outcome();
            Thread[] ranOn = new Thread[1];
            engine.read(file, ByteBuffer.allocateDirect(16), 0, (n, e) -> {
                ranOn[0] = Thread.currentThread();
                later.done(n, e);
            });
            engine.submit(); // the pipe is empty: the kernel keeps the read, the submitter returns without it
            Thread.sleep(50);
            Files.write(fifo, new byte[16]); // no further submit from anyone: only the reaper can see the answer
            assertEquals(16, later.result());
            assertTrue(ranOn[0].getName().endsWith("-reaper"), "ran on " + ranOn[0].getName());
        }
    }

    @Test
    void closingFromACallbackTheSubmitterRunsDoesNotWaitForThatCallback() throws Exception {
        Path p = Files.write(dir.resolve("close-inline"), EngineConformanceTest.pattern(4096, 7));
        AsyncEngine engine = (AsyncEngine) Engines.open("io_uring", 4);
        try (HostFile file = HostFile.open(p, OpenMode.READ_ONLY)) {
            Outcome read = new Outcome();
            long[] closeNanos = new long[1];
            engine.read(file, ByteBuffer.allocateDirect(4096), 0, (n, e) -> {
                long start = System.nanoTime();
                engine.close(); // it would wait for this very callback to finish: it must return at once
                closeNanos[0] = System.nanoTime() - start;
                read.done(n, e);
            });
            engine.submit();
            assertEquals(4096, read.result());
            assertTrue(closeNanos[0] < TimeUnit.SECONDS.toNanos(2), "close from a callback took " + closeNanos[0] + " ns");
        } finally {
            engine.close();
        }
    }
}
