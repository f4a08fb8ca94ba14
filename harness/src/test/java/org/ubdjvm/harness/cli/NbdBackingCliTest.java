package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.NbdServer;

/**
 * A COW whose backing is qemu-nbd's export of a raw file, through every command a user would run on it: create,
 * io, info, check, map, convert, compare, and a guest on {@code ubd0=top.cow,URI}. The raw file never changes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NbdBackingCliTest {
    private static final int SIZE = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void everyCommandOnACowOverAnExport() throws Exception {
        Path base = Ubd.patterned(dir.resolve("base.raw"), SIZE);
        byte[] baseBytes = Files.readAllBytes(base);
        Path top = dir.resolve("top.cow");
        try (NbdServer server = NbdServer.qemuNbd(base, true, "")) {
            String uri = server.uri();
            Ubd.run("create", "-f", "cow", "-b", uri, s(top)).ok();
            assertEquals(0, Ubd.run("io", "-c", "write -P 0x5a 0 64k", "-c", "flush", s(top)).exit());
            Ubd.Result read = Ubd.run("io", "-r", "-c", "read -P 0x5a 0 64k",
                    "-c", "read -P " + Ubd.sectorByte(300) + " " + 300 * 512 + " 512", s(top));
            assertEquals(0, read.exit(), read::toString);

            JsonNode info = new ObjectMapper().readTree(Ubd.run("info", "--output=json", s(top)).ok().out());
            assertEquals(uri, info.get("backing-filename").asText(), "the header keeps the URI");
            assertEquals(uri, info.get("full-backing-filename").asText(), "as it was written, /// and all");
            assertEquals(uri, info.get("backing-image").get("filename").asText());
            assertEquals("nbd", info.get("backing-image").get("format").asText());
            assertEquals(SIZE, info.get("backing-image").get("virtual-size").asLong());

            Ubd.run("check", s(top)).ok();
            JsonNode map = new ObjectMapper().readTree(Ubd.run("map", "--output=json", s(top)).ok().out());
            assertEquals(2, map.size(), "the COW's 64 KiB, then the export: " + map);
            assertEquals(64 << 10, map.get(1).get("start").asLong(), map.toString());
            assertEquals(uri, map.get(1).get("filename").asText(), map.toString());

            Path out = dir.resolve("out.raw");
            Ubd.run("convert", "-O", "raw", s(top), s(out)).ok();
            byte[] expected = baseBytes.clone();
            Arrays.fill(expected, 0, 64 << 10, (byte) 0x5a);
            assertArrayEquals(expected, Files.readAllBytes(out), "convert reads the export below the COW");
            assertEquals(0, Ubd.run("compare", s(top), s(out)).exit(), "compare reads it too");

            Ubd.Result run = Ubd.run("run", "ubd0=" + top + "," + uri, "--rw=randrw", "--ops=300", "--verify");
            assertEquals(0, run.exit(), run::toString);
            Ubd.Result created = Ubd.run("run", "ubd1=" + dir.resolve("new.cow") + "," + uri, "--rw=randwrite",
                    "--ops=100", "--verify");
            assertEquals(0, created.exit(), created::toString);
        }
        assertArrayEquals(baseBytes, Files.readAllBytes(base), "writes land in the COW only");
    }

    /**
     * A commit into a writable export: the COW's sectors reach the file behind it, and the COW's header still names
     * the export (a rewrite once stored it as a host path, {@code /cwd/nbd+unix:/...}, and the COW no longer opened).
     */
    @Test
    void commitIntoAWritableExportKeepsTheUriInTheHeader() throws Exception {
        Path base = Ubd.patterned(dir.resolve("base.raw"), SIZE);
        byte[] expected = Files.readAllBytes(base);
        Arrays.fill(expected, 0, 64 << 10, (byte) 0x5a);
        Path top = dir.resolve("top.cow");
        try (NbdServer server = NbdServer.qemuNbd(base, false, "")) {
            String uri = server.uri();
            Ubd.run("create", "-f", "cow", "-b", uri, s(top)).ok();
            assertEquals(0, Ubd.run("io", "-c", "write -P 0x5a 0 64k", "-c", "flush", s(top)).exit());
            Ubd.Result commit = Ubd.run("commit", s(top));
            assertEquals(0, commit.exit(), commit::toString);
            JsonNode info = new ObjectMapper().readTree(Ubd.run("info", "--output=json", s(top)).ok().out());
            assertEquals(uri, info.get("backing-filename").asText(), "the header keeps the URI");
            Ubd.Result read = Ubd.run("io", "-r", "-c", "read -P 0x5a 0 64k", s(top));
            assertEquals(0, read.exit(), read::toString);
        }
        assertArrayEquals(expected, Files.readAllBytes(base), "the commit wrote through the export");
    }

    /** The server dies while a guest reads through the COW: the run ends with one line naming the export. */
    @Test
    void aServerKilledMidRunEndsTheRunWithOneLine() throws Exception {
        Path base = Ubd.patterned(dir.resolve("base.raw"), SIZE);
        Path top = dir.resolve("top.cow");
        try (NbdServer server = NbdServer.qemuNbd(base, true, "")) {
            Ubd.run("create", "-f", "cow", "-b", server.uri(), s(top)).ok();
            CompletableFuture<Ubd.Result> run = CompletableFuture.supplyAsync(() -> Ubd.run("run",
                    "ubd0=" + top + "," + server.uri(), "--rw=randread", "--runtime=60s"));
            Thread.sleep(1500);
            server.kill();
            Ubd.Result r = run.get(30, TimeUnit.SECONDS);
            assertEquals(2, r.exit(), r::toString);
            List<String> errors = r.errLines().stream().filter(l -> !l.startsWith("ubd: warning")).toList();
            assertEquals(1, errors.size(), r::toString);
            assertTrue(errors.get(0).contains(Path.of(server.uri()) + ": read of ")
                    && errors.get(0).contains("connection to the server lost"), r::toString);
        }
    }
}
