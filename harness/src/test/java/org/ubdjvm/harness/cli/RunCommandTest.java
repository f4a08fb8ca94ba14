package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.ubdjvm.hostio.testing.LosingEngine;

class RunCommandTest {
    @TempDir
    Path dir;

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> versionsAndEngines() {
        return java.util.stream.Stream.of(1, 2, 3).flatMap(v -> java.util.stream.Stream.of("sync", "mmap", "io_uring", "aio")
                .map(e -> org.junit.jupiter.params.provider.Arguments.of(v, e)));
    }

    @ParameterizedTest(name = "V{0} on {1}")
    @org.junit.jupiter.params.provider.MethodSource("versionsAndEngines")
    void verifiedRunOnEveryVersionAndEngineFindsNoMismatch(int version, String engine) throws Exception {
        Path back = Ubd.patterned(dir.resolve("back.img"), 2 << 20);
        Path cow = dir.resolve("top.cow");
        assertEquals(0, Ubd.run("create", "-f", "cow", "-o", "version=" + version, "-b", s(back), s(cow)).exit());
        Ubd.Result r = Ubd.run("run", "ubd0=" + s(cow), "--rw=randrw", "--bs=4k", "--iodepth=4", "--threads=2",
                "--ops=500", "--flush-every=32", "--verify", "--output=json", "--engine=" + engine);
        assertEquals(0, r.exit(), r::toString);
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(0, json.get("mismatches").asLong());
        assertEquals(0, json.get("errors").asLong());
        assertEquals(1000, json.get("reads").asLong() + json.get("writes").asLong());
        assertTrue(json.get("verified-sectors").asLong() > 0);
        assertTrue(json.get("latency-us").get("p99").asDouble() > 0);
    }

    @Test
    void theKernelSyntaxCreatesAMissingCowAndHumanOutputReports() throws Exception {
        Path back = Ubd.patterned(dir.resolve("back.img"), 1 << 20);
        Ubd.Result r = Ubd.run("run", "ubd1=" + s(dir.resolve("new.cow")) + "," + s(back), "--rw=randwrite",
                "--ops=200", "--verify");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.err().contains("Creating \"" + dir.resolve("new.cow") + "\" as COW file for"), r::toString);
        assertTrue(r.out().contains("ubdb: "), r::toString);
        assertTrue(r.out().contains("mismatches: 0"), r::toString);
    }

    @Test
    void badDeviceArgumentsAndOptionsAreUsageErrors() throws Exception {
        Path back = Ubd.patterned(dir.resolve("back.img"), 1 << 20);
        for (String[] args : new String[][] {
                {"run", "ubd0q=" + s(back)},
                {"run", "ubd0d=" + s(back) + "," + s(back)},
                {"run", "ubd0=" + s(back), "--bs=1000"},
                {"run", "ubd0=" + s(back), "--bs=12Q"},
                {"run", "ubd0=" + s(back), "--runtime=soon"},
                {"run", "ubd0=" + s(back), "--workload=randread,depth=4"},
                {"run", "ubd0=" + s(back), "--workload=randomread"},
                {"run", "ubd0=" + s(back), "--workload=randread,iodepth=deep"},
                {"run", "ubd0=" + s(back), "--workload=randread,bs="},
                {"run", "ubd0=" + s(dir.resolve("missing.img"))}}) {
            Ubd.Result r = Ubd.run(args);
            assertEquals(2, r.exit(), r::toString);
            assertEquals(1, r.err().strip().lines().count(), r::toString);
        }
    }

    @Test
    void runsOwnWorkloadDefaultsApply() throws Exception {
        Path back = Ubd.patterned(dir.resolve("back.img"), 1 << 20);
        Ubd.Result r = Ubd.run("run", "ubd0d=" + s(back), "--ops=20", "--output=json");
        JsonNode w = new ObjectMapper().readTree(r.ok().out()).get("workload");
        assertEquals(8, w.get("iodepth").asInt());
        assertEquals(50, w.get("read-percent").asInt(), "randrw, rwmixread 50");
        assertTrue(w.get("random").asBoolean());
        assertEquals(4096, w.get("block-size").asInt());
    }

    @Test
    void aWorkloadInOneArgumentIsTheSameAsTheSeparateOptionsAndADevicesOwnEngineIsShown() throws Exception {
        Path back = Ubd.patterned(dir.resolve("back.img"), 1 << 20);
        Ubd.Result r = Ubd.run("run", "ubd0A0=" + s(dir.resolve("w.cow")) + "," + s(back), "--engine=io_uring",
                "--workload=randwrite,bs=8k,iodepth=3,threads=2,ops=50,verify", "--output=json");
        assertEquals(0, r.exit(), r::toString);
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        assertEquals(0, j.get("workload").get("read-percent").asInt());
        assertEquals(8192, j.get("workload").get("block-size").asInt());
        assertEquals(3, j.get("workload").get("iodepth").asInt());
        assertEquals(2, j.get("workload").get("threads").asInt());
        assertTrue(j.get("workload").get("verify").asBoolean());
        assertEquals(100, j.get("writes").asInt(), "ops=50 per thread");
        assertEquals("sync", j.get("devices").get(0).get("engine").asText(), "A0: this device does not use AIO");
        assertEquals("io_uring", j.get("engine").asText());
    }

    /**
     * Issue 19's acceptance: a request the engine never answers makes {@code ubd run} print one line naming the
     * device, the op and the offset, and exit 2 within the configured timeout (--request-timeout, or the device's
     * T letter, which wins); nothing hangs. The workload would run 60 s otherwise.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"--request-timeout=1s", "T1"})
    @org.junit.jupiter.api.Timeout(60)
    void aRequestTheEngineNeverAnswersEndsTheRunWithOneLineAndExit2(String timeout) throws Exception {
        Path disk = Ubd.patterned(dir.resolve("lost.img"), 1 << 20);
        List<LosingEngine> losing = new java.util.concurrent.CopyOnWriteArrayList<>();
        String device = (timeout.startsWith("T") ? "ubd0d" + timeout : "ubd0d") + "=" + s(disk);
        long start = System.nanoTime();
        Ubd.Result r = Ubd.runOver(engine -> {
            LosingEngine e = new LosingEngine(engine, 3 * 4096); // the third read of a sequential run
            losing.add(e);
            return e;
        }, "run", device, "--rw=read", "--bs=4k", "--iodepth=4", "--runtime=60s", "--engine=sync",
                timeout.startsWith("T") ? "--seed=1" : timeout);
        long took = System.nanoTime() - start;
        assertEquals(2, r.exit(), r::toString);
        assertEquals(List.of("ubd: ubda: read of 4096 bytes at offset 12288 timed out after 1 s: ETIMEDOUT (Connection"
                + " timed out)"), r.errLines(), r::toString);
        assertTrue(losing.get(0).awaitLost(java.time.Duration.ZERO), "the engine lost the read");
        assertTrue(took >= TimeUnit.SECONDS.toNanos(1), "ended before the timeout: " + took / 1_000_000 + " ms");
        assertTrue(took < TimeUnit.SECONDS.toNanos(6), "took " + took / 1_000_000 + " ms");
    }
}
