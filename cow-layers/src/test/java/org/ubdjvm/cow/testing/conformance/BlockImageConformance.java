package org.ubdjvm.cow.testing.conformance;

import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.testing.conformance.Session.Op;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;
import org.ubdjvm.hostio.testing.Engines;

/**
 * What every {@link BlockImage} promises, whatever format or stack of files is behind it, run unchanged over each
 * of them and on every host engine (sync, mmap, io_uring, aio), as Lucene runs {@code BaseDirectoryTestCase} over
 * every {@code Directory}. Formats differ in their files, never in what a caller sees.
 *
 * <p><b>A new format is covered by one subclass</b> implementing {@link #make}: build a {@link TestStack} (usually
 * a patterned raw file with a new file of the format over it, or the format alone) and return it. Nothing else is
 * needed; the surefire report then lists each check of the new format on each engine. The stack is opened and, after
 * every close, checked through {@link org.ubdjvm.cow.FormatTable#standard()}, where a new format is registered
 * anyway; {@link TestStack#openedBy} opens it otherwise. See the subclasses in
 * {@code org.ubdjvm.cow.conformance} (raw, UML COW V1, V2, V3, V3-old64, a mixed stack).
 *
 * <p>The checks are random but repeatable: each draws a seed, every failure message names it, and
 * {@code -Dubd.conformance.seed=N} runs every check with that seed. An engine the host forbids (no such syscall,
 * seccomp) is skipped, as in host-io's own engine suite.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@DisplayNameGeneration(BlockImageConformance.MethodNames.class)
public abstract class BlockImageConformance {
    /** Steps of {@link #randomOperationsMatchTheModel}. */
    private static final int RANDOM_STEPS = 250;
    /** Requests of each batch of {@link #hundredsOfRequestsInFlight}. */
    private static final int IN_FLIGHT = 300;

    @TempDir
    Path dir;

    /**
     * The one method a format implements: makes the image under test in the empty directory {@code dir}, its
     * layers reached through {@code engine}, and says how to open (and reopen) it and what it reads. The stack must
     * be at least 64 sectors; a few hundred KiB keeps the suite fast.
     */
    protected abstract TestStack make(Path dir, IoEngine engine) throws IOException;

    /** The engines every check runs on, by the names users give them. */
    public static Stream<String> engines() {
        return Stream.of("sync", "mmap", "io_uring", "aio");
    }

    /** A check run once per engine; the report names each run by its engine. */
    @Target(ElementType.METHOD)
    @Retention(RetentionPolicy.RUNTIME)
    @ParameterizedTest(name = "on {0}")
    @MethodSource("org.ubdjvm.cow.testing.conformance.BlockImageConformance#engines")
    @interface OnEveryEngine {
    }

    /** Names a check by its method alone, so the report reads "randomOperationsMatchTheModel on io_uring". */
    static final class MethodNames extends DisplayNameGenerator.Standard {
        @Override
        public String generateDisplayNameForMethod(Class<?> testClass, Method testMethod) {
            return testMethod.getName();
        }
    }

    /** A check of one session. */
    @FunctionalInterface
    interface Check {
        void run(Session s) throws IOException;
    }

    /**
     * Random reads, writes, discards, flushes and reopens (read-write and read-only) of 1-72 sectors anywhere, the
     * end of the disk included, in heap and direct buffers at odd positions: every read equals the model, every
     * buffer is left as it was, the allocation query names the model's layer, every close leaves files that check
     * clean, and everything is there after the last close.
     */
    @OnEveryEngine
    public void randomOperationsMatchTheModel(String engine) throws IOException {
        run(engine, s -> {
            for (int i = 0; i < RANDOM_STEPS; i++) {
                long[] at = s.place(Session.MAX_SECTORS);
                int k = s.random().nextInt(100);
                if (k < 32) {
                    s.write(at[0], (int) at[1]);
                } else if (k < 70) {
                    s.read(at[0], (int) at[1]);
                } else if (k < 80) {
                    s.discard(at[0], (int) at[1]);
                } else if (k < 86) {
                    s.flush();
                } else if (k < 90) {
                    s.reopen(s.random().nextInt(4) == 0);
                } else if (k < 95) {
                    s.checkWholeDisk();
                } else {
                    s.checkAllocation();
                }
            }
            s.reopen(false);
            s.checkWholeDisk();
        });
    }

    /**
     * Hundreds of requests started before any is awaited, as a ring of guests would: each completes exactly once,
     * reads give the bytes of when they started, and the disk is right after, and after a reopen.
     */
    @OnEveryEngine
    public void hundredsOfRequestsInFlight(String engine) throws IOException {
        run(engine, s -> {
            s.inFlight(IN_FLIGHT);
            s.checkWholeDisk();
            s.reopen(false);
            s.checkWholeDisk();
            s.inFlight(IN_FLIGHT);
            s.reopen(true);
            s.checkWholeDisk();
        });
    }

    /**
     * One 4 KiB read whose sectors come from different files of the stack (the 6.1 kernel advances its buffer by
     * the last run only and gets this wrong): every page as made, then with single sectors written into each page,
     * then after a read-only reopen. On a stack, some page must in fact mix files, or the check proved nothing.
     */
    @OnEveryEngine
    public void readsThatMixLayersInsideOnePage(String engine) throws IOException {
        run(engine, s -> {
            org.junit.jupiter.api.Assumptions.assumeTrue(s.model().sectorSize() < Session.PAGE,
                    "sectors of " + s.model().sectorSize() + " bytes: no page holds several to mix");
            s.readPages();
            int perPage = Session.PAGE / s.model().sectorSize();
            for (long first = 0; first + perPage <= s.sectors(); first += perPage) {
                int mask = s.random().nextInt(1 << perPage);
                for (int i = 0; i < perPage; i++) {
                    if ((mask & (1 << i)) != 0) {
                        s.write(first + i, 1);
                    }
                }
            }
            int mixed = s.readPages();
            s.reopen(true);
            s.readPages();
            s.require(s.model().layers() == 1 || mixed > 0, "no page read mixed files of the stack");
        });
    }

    /**
     * The allocation query names, for every sector, the file of the stack the model says holds it: as made, after
     * sparse writes and discards (a discarded sector is the top's), and after a read-only reopen.
     */
    @OnEveryEngine
    public void allocationMatchesTheModel(String engine) throws IOException {
        run(engine, s -> {
            s.checkAllocation();
            for (int i = 0; i < 40; i++) {
                long[] at = s.place(8);
                if (i % 4 == 3) {
                    s.discard(at[0], (int) at[1]);
                } else {
                    s.write(at[0], (int) at[1]);
                }
            }
            s.checkAllocation();
            s.reopen(true);
        });
    }

    /**
     * Requests that break the contract (offset or length not whole sectors, past the end, negative, wrapping past
     * {@code Long.MAX_VALUE}) complete with an {@link org.ubdjvm.cow.ImageException} naming the file and change
     * nothing: not the caller's buffer, not what the disk reads, not a byte of any file. Empty requests succeed or
     * are refused the same way; allocation queries over such ranges (or none) throw an ImageException.
     */
    @OnEveryEngine
    public void badRequestsAreRefusedAndChangeNothing(String engine) throws IOException {
        run(engine, s -> {
            s.write(0, 8);
            s.flush();
            Map<Path, byte[]> before = contents(s.stack());
            long capacity = s.model().capacity();
            int ss = s.model().sectorSize();
            long wraps = Long.MAX_VALUE / ss * ss;
            for (Op op : Op.values()) {
                s.expectRefused(op, ss + 1, ss, "offset not a multiple of the sector size");
                s.expectRefused(op, ss, ss + 1, "length not a multiple of the sector size");
                s.expectRefused(op, ss, ss / 2, "length less than a sector");
                s.expectRefused(op, capacity, ss, "starts at the end");
                s.expectRefused(op, capacity - ss, 2L * ss, "ends past the end");
                s.expectRefused(op, capacity + 64L * ss, ss, "starts past the end");
                s.expectRefused(op, -ss, ss, "negative offset");
                s.expectRefused(op, wraps, 2L * ss, "offset + length wraps past Long.MAX_VALUE");
                s.empty(op, 0);
                s.empty(op, capacity);
            }
            s.expectRefused(Op.DISCARD, 0, -ss, "negative length");
            s.expectAllocationRefused(ss + 1, ss, "offset not a multiple of the sector size");
            s.expectAllocationRefused(ss, ss + 1, "length not a multiple of the sector size");
            s.expectAllocationRefused(ss, 0, "empty range");
            s.expectAllocationRefused(capacity - ss, 2L * ss, "ends past the end");
            s.expectAllocationRefused(-ss, ss, "negative offset");
            s.expectAllocationRefused(wraps, 2L * ss, "offset + length wraps past Long.MAX_VALUE");
            s.checkWholeDisk();
            s.flush();
            requireUnchanged(s, before, "after refused requests");
        });
    }

    /** Opened read-only, writes and discards anywhere are refused with an ImageException and no file changes. */
    @OnEveryEngine
    public void readOnlyRefusesWritesAndDiscards(String engine) throws IOException {
        run(engine, s -> {
            s.write(0, 8);
            s.reopen(true);
            Map<Path, byte[]> before = contents(s.stack());
            for (int i = 0; i < 20; i++) {
                long[] at = s.place(Session.MAX_SECTORS);
                s.write(at[0], (int) at[1]);
                s.discard(at[0], (int) at[1]);
                s.read(at[0], (int) at[1]);
            }
            s.flush();
            s.checkWholeDisk();
            s.closeImage();
            requireUnchanged(s, before, "after writes to a read-only image");
            s.reopen(true);
        });
    }

    private void run(String engineName, Check check) throws IOException {
        long seed = Long.getLong(Session.SEED_PROPERTY, ThreadLocalRandom.current().nextLong());
        IoEngine engine = Engines.open(engineName, IoEngines.DEFAULT_QUEUE_DEPTH);
        try {
            TestStack stack = make(dir, engine);
            try (Session s = new Session(getClass().getSimpleName() + " on " + engineName, seed, stack)) {
                check.run(s);
                s.checkWholeDisk();
                s.checkAllocation();
            } // closing checks every file clean

        } finally {
            engine.close();
        }
    }

    private static Map<Path, byte[]> contents(TestStack stack) throws IOException {
        Map<Path, byte[]> out = new LinkedHashMap<>();
        for (Path f : stack.files()) {
            out.put(f, Files.readAllBytes(f));
        }
        return out;
    }

    private static void requireUnchanged(Session s, Map<Path, byte[]> before, String when) throws IOException {
        for (Map.Entry<Path, byte[]> e : before.entrySet()) {
            byte[] now = Files.readAllBytes(e.getKey());
            int at = Arrays.mismatch(e.getValue(), now);
            s.require(at < 0, e.getKey().getFileName() + " changed " + when + ": byte " + at + " (length "
                    + e.getValue().length + " then, " + now.length + " now)");
        }
    }
}
