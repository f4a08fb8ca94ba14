package org.ubdjvm.harness.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceTable;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.hostio.testing.ForwardingIoEngine;

class GuestTest {
    @TempDir
    Path dir;

    private static WorkloadSpec mixed(int threads, long opsPerThread) {
        return new WorkloadSpec(true, 50, 4096, 8, threads, Duration.ofSeconds(30), opsPerThread, 64, true, 42);
    }

    /** raw <- V1 <- V2 <- V3: returns the top. */
    private Path stack(int depth) throws Exception {
        Path lower = Disks.patternedRaw(dir.resolve("back.img"), 2 * 1024 * 1024);
        FormatTable table = FormatTable.standard();
        for (int v = 1; v <= depth; v++) {
            Path cow = dir.resolve("layer" + v + ".cow");
            table.create(CreateSpec.of(cow, "cow").withBacking(lower).withOption("version", "" + v));
            lower = cow;
        }
        return lower;
    }

    @ParameterizedTest(name = "stack of {0} COW layers")
    @ValueSource(ints = {1, 2, 3})
    void verifiedWorkloadThroughRingDriverAndStackFindsNoMismatch(int depth) throws Exception {
        Path top = stack(depth);
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            table.add("ubd0=" + top);
            RunResult r = new Guest(table.all(), mixed(3, 400)).run();
            assertTrue(r.clean(), r.firstProblems().toString());
            assertEquals(1200, r.reads() + r.writes());
            assertTrue(r.reads() > 0 && r.writes() > 0 && r.flushes() > 0);
            assertTrue(r.verifiedSectors() > 0);
        }
        // And the data the guest wrote is still there after close and reopen.
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            table.add("ubd0r=" + top);
            RunResult r = new Guest(table.all(), new WorkloadSpec(false, 100, 4096, 4, 1, Duration.ofSeconds(30), 512, 0, true, 1)).run();
            assertTrue(r.clean(), r.firstProblems().toString());
        }
    }

    @Test
    void twoDevicesShareTheThreads() throws Exception {
        Path a = Disks.patternedRaw(dir.resolve("a.img"), 1024 * 1024);
        Path b = Disks.patternedRaw(dir.resolve("b.img"), 1024 * 1024);
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            table.add("ubd0=" + a);
            table.add("ubd1=" + dir.resolve("b.cow") + "," + b);
            RunResult r = new Guest(table.all(), mixed(4, 200)).run();
            assertTrue(r.clean(), r.firstProblems().toString());
        }
    }

    /** An engine that returns one flipped bit in some reads: the verifier must notice. */
    private static final class BitFlippingEngine extends ForwardingIoEngine {
        private int reads;

        BitFlippingEngine() {
            super(new SyncEngine());
        }

        @Override
        public String name() {
            return "bit-flipping";
        }

        @Override
        public void read(HostFile file, ByteBuffer dst, long position, IoCompletion done) {
            int at = dst.position();
            super.read(file, dst, position, (n, e) -> {
                if (++reads % 7 == 0 && n > 0) {
                    dst.put(at, (byte) (dst.get(at) ^ 1));
                }
                done.done(n, e);
            });
        }
    }

    @Test
    void corruptionIsReportedNotHidden() throws Exception {
        Path top = stack(1);
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
            table.add("ubd0=" + top);
            assertTrue(new Guest(table.all(), mixed(1, 300)).run().clean());
        }
        try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new BitFlippingEngine())))) {
            table.add("ubd0r=" + top);
            RunResult r = new Guest(table.all(), new WorkloadSpec(true, 100, 4096, 4, 1, Duration.ofSeconds(30), 300, 0, true, 7)).run();
            assertTrue(r.mismatches() > 0, "flipped bits must be seen");
            assertTrue(r.firstProblems().get(0).startsWith("ubda "), r.firstProblems().toString());
        }
    }
}
