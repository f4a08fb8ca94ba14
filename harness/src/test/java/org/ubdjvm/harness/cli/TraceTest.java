package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ubdjvm.cow.testing.RealTools;

/** {@code ubd run --trace} and {@code ubd replay}: fio's iolog both ways, byte-identical replays, verify. */
class TraceTest {
    @TempDir
    Path dir;

    private static JsonNode json(Ubd.Result r) throws IOException {
        assertEquals(0, r.exit(), r::toString);
        return new ObjectMapper().readTree(r.out());
    }

    private static long count(List<String> lines, String action) {
        return lines.stream().filter(l -> l.split(" ").length == 5 && l.split(" ")[2].equals(action)).count();
    }

    private Path trace(String name, String... lines) throws IOException {
        return Files.writeString(dir.resolve(name), "fio version 3 iolog\n" + String.join("\n", lines) + "\n");
    }

    @Test
    void aRecordedTraceIsAnFioV3IologThatFioReplays() throws Exception {
        Path fio = RealTools.require("fio", "fio");
        Path disk = Ubd.patterned(dir.resolve("disk.img"), 4 << 20);
        Path copy = Files.copy(disk, dir.resolve("copy.img"));
        Path log = dir.resolve("t.log");
        JsonNode run = json(Ubd.run("run", "ubd0d=" + s(disk), "--trace=" + s(log), "--rw=randrw", "--iodepth=4",
                "--threads=2", "--ops=300", "--flush-every=16", "--output=json"));
        List<String> lines = Files.readAllLines(log);
        assertEquals(List.of("fio version 3 iolog", "0 ubd0 add", "0 ubd0 open"), lines.subList(0, 3));
        assertTrue(lines.get(lines.size() - 1).matches("[0-9]+ ubd0 close"), lines.get(lines.size() - 1));
        assertEquals(run.get("reads").asLong(), count(lines, "read"));
        assertEquals(run.get("writes").asLong(), count(lines, "write"));
        assertEquals(run.get("flushes").asLong(), count(lines, "sync"));
        assertTrue(run.get("flushes").asLong() >= 2, "a flush every 16 writes and a last one per thread");
        long previous = 0;
        for (String l : lines.subList(1, lines.size())) {
            assertTrue(l.matches("[0-9]+ ubd0 (add|open|close|(read|write) [0-9]+ 4096|sync 0 0)"), l);
            long t = Long.parseLong(l.split(" ")[0]);
            assertTrue(t >= previous, "timestamps never go back: " + l);
            previous = t;
        }

        RealTools.Run replay = RealTools.run(dir, 120, fio.toString(), "--name=replay", "--read_iolog=" + log,
                "--ioengine=psync", "--replay_redirect=" + copy, "--output-format=json");
        replay.assertOk("fio --read_iolog");
        JsonNode job = new ObjectMapper().readTree(replay.stdout().substring(replay.stdout().indexOf('{')))
                .get("jobs").get(0);
        assertEquals(0, job.get("error").asInt(), replay.stdout());
        assertEquals(run.get("reads").asLong(), job.get("read").get("total_ios").asLong(), replay.stdout());
        assertEquals(run.get("writes").asLong(), job.get("write").get("total_ios").asLong(), replay.stdout());
    }

    @Test
    void fiosOwnWriteIologReplaysWithTheSameRequests() throws Exception {
        Path fio = RealTools.require("fio", "fio");
        Path disk = Ubd.patterned(dir.resolve("d.img"), 4 << 20);
        RealTools.run(dir, 120, fio.toString(), "--name=w", "--filename=d.img", "--size=4M", "--rw=randrw",
                "--bs=4k", "--io_size=512k", "--fsync=8", "--ioengine=psync", "--write_iolog=f.log")
                .assertOk("fio --write_iolog");
        List<String> lines = Files.readAllLines(dir.resolve("f.log"));
        assertEquals("fio version 3 iolog", lines.get(0));
        Path other = Files.copy(disk, dir.resolve("other.img"));
        JsonNode j = json(Ubd.run("replay", s(dir.resolve("f.log")), "ubd0d=" + s(other), "--as-fast-as-possible",
                "--output=json"));
        assertEquals(count(lines, "read"), j.get("reads").asLong(), j::toString);
        assertEquals(count(lines, "write"), j.get("writes").asLong(), j::toString);
        assertEquals(count(lines, "sync"), j.get("flushes").asLong(), j::toString);
        assertEquals(128, j.get("reads").asLong() + j.get("writes").asLong());
        assertTrue(j.get("flushes").asLong() > 0, j::toString);
        assertEquals("ubda", j.get("trace").get("files").get("d.img").asText());
    }

    static Stream<Arguments> versionsAndEngines() {
        return Stream.of(1, 2, 3).flatMap(v -> Stream.of("sync", "mmap", "io_uring", "aio").map(e -> Arguments.of(v, e)));
    }

    @ParameterizedTest(name = "COW V{0} on {1}")
    @MethodSource("versionsAndEngines")
    void recordThenReplayOnTheSameStartingImageGivesTheSameBytes(int version, String engine) throws Exception {
        Path back = Ubd.patterned(dir.resolve("back.img"), 2 << 20);
        Path top = dir.resolve("top.cow");
        assertEquals(0, Ubd.run("create", "-f", "cow", "-o", "version=" + version, "-b", s(back), s(top)).exit());
        Path start = Files.copy(top, dir.resolve("start.cow"));
        Path log = dir.resolve("t.log");
        Ubd.Result run = Ubd.run("run", "ubd0=" + s(top), "--trace=" + s(log), "--rw=randrw", "--bs=4k", "--iodepth=8",
                "--threads=2", "--ops=400", "--flush-every=32", "--engine=" + engine);
        assertEquals(0, run.exit(), run::toString);
        JsonNode j = json(Ubd.run("replay", s(log), "ubd0=" + s(start), "--as-fast-as-possible", "--verify",
                "--engine=" + engine, "--output=json"));
        assertEquals(0, j.get("mismatches").asLong(), j::toString);
        assertEquals(800, j.get("reads").asLong() + j.get("writes").asLong());
        assertEquals(-1, Files.mismatch(top, start), "the replayed COW file is byte-identical to the recorded one");
        Path a = dir.resolve("a.raw");
        Path b = dir.resolve("b.raw");
        Ubd.run("convert", "-O", "raw", s(top), s(a)).ok();
        Ubd.run("convert", "-O", "raw", s(start), s(b)).ok();
        assertEquals(-1, Files.mismatch(a, b), "and so is the disk it stands for");
        assertTrue(Files.mismatch(a, back) >= 0, "the run changed the disk (or this test proves nothing)");
    }

    @Test
    void twoDevicesAreTracedByTheirNumbersAndReplayedEachOnItsOwn() throws Exception {
        Path a = Files.write(dir.resolve("a.img"), new byte[1 << 20]);
        Path b = Files.write(dir.resolve("b.img"), new byte[1 << 20]);
        Path a2 = Files.copy(a, dir.resolve("a2.img"));
        Path b2 = Files.copy(b, dir.resolve("b2.img"));
        Path log = dir.resolve("t.log");
        Ubd.Result run = Ubd.run("run", "ubd0d=" + s(a), "ubd3d=" + s(b), "--trace=" + s(log), "--rw=randwrite",
                "--threads=2", "--ops=100");
        assertEquals(0, run.exit(), run::toString);
        List<String> lines = Files.readAllLines(log);
        assertEquals(List.of("fio version 3 iolog", "0 ubd0 add", "0 ubd3 add", "0 ubd0 open", "0 ubd3 open"),
                lines.subList(0, 5));
        Ubd.run("replay", s(log), "ubd0d=" + s(a2), "ubd3d=" + s(b2), "--as-fast-as-possible").ok();
        assertEquals(-1, Files.mismatch(a, a2));
        assertEquals(-1, Files.mismatch(b, b2));
        assertTrue(Files.mismatch(a, b) >= 0, "the devices' data differ (each carries its own device number)");
    }

    @Test
    void replayVerifyNamesTheFirstBadOffsetOfACorruptedLayer() throws Exception {
        Path back = dir.resolve("back.img");
        Files.write(back, new byte[1 << 20]);
        Path writes = trace("w.log", "0 ubd0 add", "0 ubd0 open", "10 ubd0 write 0 65536", "20 ubd0 write 65536 65536",
                "30 ubd0 sync 0 0", "40 ubd0 close");
        Ubd.run("replay", s(writes), "ubd0d=" + s(back), "--as-fast-as-possible").ok();
        Path reads = trace("r.log", "0 ubd0 add", "0 ubd0 open", "10 ubd0 read 0 65536", "20 ubd0 read 65536 65536",
                "30 ubd0 write 4096 4096", "40 ubd0 read 0 8192", "50 ubd0 close");
        Ubd.Result clean = Ubd.run("replay", s(reads), "ubd0=" + s(dir.resolve("a.cow")) + "," + s(back), "--verify",
                "--as-fast-as-possible");
        assertEquals(0, clean.exit(), clean::toString);
        assertTrue(clean.out().contains("mismatches: 0"), clean::toString);

        try (RandomAccessFile f = new RandomAccessFile(back.toFile(), "rw")) { // one byte of the backing layer
            f.seek(81920 + 100);
            int b = f.read();
            f.seek(81920 + 100);
            f.write(b ^ 0x10);
        }
        Ubd.Result bad = Ubd.run("replay", s(reads), "ubd0=" + s(dir.resolve("b.cow")) + "," + s(back), "--verify",
                "--as-fast-as-possible");
        assertEquals(1, bad.exit(), bad::toString);
        assertTrue(bad.out().contains("ubda: bad data at offset 81920 (sector 160, " + reads + " line 5): expected intact"
                + " data, found corrupt data"), bad::toString);
        assertTrue(bad.out().contains("mismatches: 1"), bad::toString);
    }

    @Test
    void aDiscardedRangeMustReadAsZeros() throws Exception {
        Path disk = Ubd.patterned(dir.resolve("d.img"), 1 << 20);
        Path log = trace("trim.log", "0 ubd0 add", "0 ubd0 open", "1 ubd0 write 0 8192", "2 ubd0 trim 0 4096",
                "3 ubd0 read 0 8192", "4 ubd0 trim 65536 4096", "5 ubd0 read 65536 4096");
        JsonNode j = json(Ubd.run("replay", s(log), "ubd0d=" + s(disk), "--as-fast-as-possible", "--verify",
                "--output=json"));
        assertEquals(2, j.get("discards").asLong());
        assertEquals(0, j.get("mismatches").asLong(), j::toString);
        assertEquals(24, j.get("verified-sectors").asLong());
        Ubd.Result refused = Ubd.run("replay", s(log), "ubd0td=" + s(disk), "--as-fast-as-possible");
        assertEquals(2, refused.exit(), refused::toString);
        assertTrue(refused.err().contains("discard is disabled (flag t)"), refused::toString);
    }

    @Test
    void theRecordedTimingIsKeptUnlessAskedToHurry() throws Exception {
        Path disk = Files.write(dir.resolve("d.img"), new byte[1 << 20]);
        Path log = trace("slow.log", "0 ubd0 add", "0 ubd0 open", "0 ubd0 write 0 4096", "300000 ubd0 read 0 4096",
                "300000 ubd0 close");
        assertTrue(json(Ubd.run("replay", s(log), "ubd0d=" + s(disk), "--output=json")).get("elapsed-seconds")
                .asDouble() >= 0.29);
        assertTrue(json(Ubd.run("replay", s(log), "ubd0d=" + s(disk), "--speed=3", "--output=json"))
                .get("elapsed-seconds").asDouble() >= 0.099);
        assertTrue(json(Ubd.run("replay", s(log), "ubd0d=" + s(disk), "--as-fast-as-possible", "--output=json"))
                .get("elapsed-seconds").asDouble() < 0.29);
    }

    @Test
    void badTracesAndOptionsExit2WithOneLineBeforeAnyIo() throws Exception {
        Path disk = Files.write(dir.resolve("d.img"), new byte[1 << 20]);
        String dev = "ubd0d=" + s(disk);
        Path good = trace("good.log", "0 ubd0 add", "0 ubd0 open", "5 ubd0 write 0 4096");
        String[][] cases = {
                {"replay", s(dir.resolve("missing.log")), dev},
                {"replay", s(Files.writeString(dir.resolve("old.log"), "ubd0 add\n")), dev},
                {"replay", s(trace("wait.log", "0 ubd0 add", "5 ubd0 wait 100 0")), dev},
                {"replay", s(trace("num.log", "0 ubd0 add", "5 ubd0 write x 4096")), dev},
                {"replay", s(trace("act.log", "0 ubd0 add", "5 ubd0 scribble 0 4096")), dev},
                {"replay", s(trace("noadd.log", "5 ubd0 write 0 4096")), dev},
                {"replay", s(trace("odd.log", "0 ubd0 add", "5 ubd0 write 100 4096")), dev},
                {"replay", s(trace("end.log", "0 ubd0 add", "5 ubd0 write 1044480 8192")), dev},
                {"replay", s(trace("two.log", "0 ubd0 add", "0 ubd1 add", "5 ubd1 write 0 4096")), dev},
                {"replay", s(good), "ubd0r=" + s(disk)},
                {"replay", s(good), dev, "--speed=2", "--as-fast-as-possible"},
                {"replay", s(good), dev, "--speed=-1"},
                {"replay", s(good), dev, "--iodepth=0"},
                {"replay", s(good), dev, "--map=ubd0=ubd7"},
                {"replay", s(good), dev, "--map=nothere=ubd0"},
                {"replay", s(good), dev, "--map=ubd0=disk"},
                {"run", dev, "--ops=10", "--trace=" + s(dir)},
                {"run", dev, "--ops=10", "--trace=" + s(dir.resolve("no/such/dir/t.log"))}};
        byte[] before = Files.readAllBytes(disk);
        for (String[] args : cases) {
            Ubd.Result r = Ubd.run(args);
            assertEquals(2, r.exit(), r::toString);
            assertEquals(1, r.err().strip().lines().count(), r::toString);
            assertFalse(r.err().contains("Exception"), r::toString);
        }
        assertTrue(Ubd.run("replay", s(dir.resolve("odd.log")), dev).err()
                .contains("odd.log line 3: write of 4096 bytes at offset 100 on ubda: not whole 512-byte sectors"));
        assertTrue(Ubd.run("replay", s(dir.resolve("act.log")), dev).err()
                .contains("act.log line 3: unknown action 'scribble'"));
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(disk)), "nothing was written");
        try (Stream<Path> left = Files.list(dir)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary left");
        }
    }

    @Test
    void mapSendsATracesFileToTheNamedDevice() throws Exception {
        Path a = Files.write(dir.resolve("a.img"), new byte[1 << 20]);
        Path b = Files.write(dir.resolve("b.img"), new byte[1 << 20]);
        Path log = trace("m.log", "0 data add", "0 data open", "5 data write 8192 4096", "6 data sync 0 0");
        JsonNode j = json(Ubd.run("replay", s(log), "ubd0d=" + s(a), "ubd1d=" + s(b), "--map=data=ubd1",
                "--as-fast-as-possible", "--output=json"));
        assertEquals("ubdb", j.get("trace").get("files").get("data").asText());
        assertTrue(Files.readAllBytes(a)[8192] == 0 && Files.readAllBytes(b)[8192] != 0, "written to ubd1 only");
    }
}
