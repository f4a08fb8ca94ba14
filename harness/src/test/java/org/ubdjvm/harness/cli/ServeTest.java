package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.RealTools;
import org.ubdjvm.cow.testing.SharedVectors;

/**
 * {@code ubd serve} against the real NBD clients: libnbd's nbdinfo and nbdcopy, qemu-io and qemu-img. Each test
 * runs the server in captive mode ({@code --run}, as nbdkit's own tests do) on a V3 COW over a patterned raw base.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServeTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path base;
    private Path cow;

    @BeforeEach
    void stack() throws Exception {
        base = Ubd.patterned(dir.resolve("base.img"), 4 * MIB);
        cow = dir.resolve("top.cow");
        Ubd.run("create", "-f", "cow", "-b", s(base), s(cow)).ok();
        Ubd.run("io", "-c", "write -P 0x55 1M 64k", s(cow)).ok();
    }

    private static Ubd.Result serve(String... args) {
        return Ubd.run(concat(new String[] {"serve"}, args));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void nbdinfoSeesTheSizeTheBlockSizesAndTheStacksRuns() throws Exception {
        RealTools.require("nbdinfo", "libnbd-bin");
        Ubd.Result r = serve("--run", "nbdinfo --json \"$uri\"", s(cow)).ok();
        JsonNode export = new ObjectMapper().readTree(r.out()).get("exports").get(0);
        assertEquals(4 * MIB, export.get("export-size").asLong(), r::toString);
        assertEquals(512, export.get("block_size_minimum").asInt());
        assertEquals(4096, export.get("block_size_preferred").asInt());
        assertEquals(32 * MIB, export.get("block_size_maximum").asInt());
        assertFalse(export.get("is_read_only").asBoolean());

        Ubd.Result depth = serve("--run", "nbdinfo --map=qemu:allocation-depth \"$uri\"", s(cow)).ok();
        assertEquals(List.of(
                        List.of("0", "1048576", "2", "backing depth 2"),
                        List.of("1048576", "65536", "1", "local"),
                        List.of("1114112", "3080192", "2", "backing depth 2")),
                columns(depth.out()), depth::toString);
        Ubd.Result allocation = serve("--run", "nbdinfo --map \"$uri\"", s(cow)).ok();
        assertEquals(List.of(List.of("0", "4194304", "0", "data")), columns(allocation.out()), allocation::toString);
    }

    /** nbdinfo --map's lines as whitespace-separated columns (the description keeps its spaces). */
    private static List<List<String>> columns(String map) {
        List<List<String>> rows = new ArrayList<>();
        for (String line : map.strip().split("\n")) {
            String[] f = line.strip().split("\\s+", 4);
            rows.add(List.of(f));
        }
        return rows;
    }

    @Test
    void qemuIoWritesAndReadsBackRandomPatternsThatReachTheFile() throws Exception {
        RealTools.require("qemu-io", "qemu-utils");
        Random random = new Random(15);
        List<String> writes = new ArrayList<>();
        List<String> reads = new ArrayList<>();
        for (int slot = 0; slot < 32; slot++) { // one request per 128 KiB slot, so none overlaps another
            int length = 512 * (1 + random.nextInt(128));
            long offset = slot * 131072L + 512L * random.nextInt((131072 - length) / 512 + 1);
            int pattern = 1 + random.nextInt(254);
            writes.add("write -P " + pattern + " " + offset + " " + length);
            reads.add("read -P " + pattern + " " + offset + " " + length);
        }
        String script = "qemu-io -f raw " + commands(writes) + " \"$uri\" && qemu-io -f raw " + commands(reads)
                + " \"$uri\"";
        Ubd.Result r = serve("--run", script, s(cow)).ok();
        assertFalse(r.out().contains("Pattern verification failed"), r::toString);
        // after the server closed the image, the data is in the COW file
        List<String> args = new ArrayList<>();
        for (String read : reads) {
            args.add("-c");
            args.add(read);
        }
        args.add(s(cow));
        Ubd.Result check = Ubd.run(concat(new String[] {"io"}, args.toArray(String[]::new)));
        assertEquals(0, check.exit(), check::toString);
    }

    private static String commands(List<String> cmds) {
        StringBuilder b = new StringBuilder();
        for (String c : cmds) {
            b.append(" -c '").append(c).append("'");
        }
        return b.toString();
    }

    @Test
    void qemuImgAndNbdcopyCopyTheSameDiskAsConvert() throws Exception {
        RealTools.require("qemu-img", "qemu-utils");
        RealTools.require("nbdcopy", "libnbd-bin");
        Path converted = dir.resolve("converted.raw");
        Ubd.run("convert", "-O", "raw", s(cow), s(converted)).ok();
        String script = "qemu-img compare -f raw -F raw \"$uri\" " + converted
                + " && qemu-img convert -f raw -O raw \"$uri\" " + dir.resolve("qemu.raw")
                + " && nbdcopy \"$uri\" " + dir.resolve("nbdcopy.raw");
        Ubd.Result r = serve("--run", script, s(cow)).ok();
        assertTrue(r.out().contains("Images are identical"), r::toString);
        byte[] expected = Files.readAllBytes(converted);
        assertArrayEquals(expected, Files.readAllBytes(dir.resolve("qemu.raw")));
        assertArrayEquals(expected, Files.readAllBytes(dir.resolve("nbdcopy.raw")));
    }

    @Test
    void aReadOnlyExportRefusesWritesAndSaysSo() throws Exception {
        RealTools.require("qemu-io", "qemu-utils");
        RealTools.require("nbdinfo", "libnbd-bin");
        String before = SharedVectors.md5(cow);
        Ubd.Result r = serve("--read-only", "--run", "nbdinfo --json \"$uri\" && qemu-io -f raw -c 'write 0 512' \"$uri\"",
                s(cow));
        assertNotEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("\"is_read_only\": true"), r::toString);
        assertEquals(before, SharedVectors.md5(cow));
    }

    @Test
    void aProbedRawImageRefusesAHeaderOverNbdButNotWhenNamedRaw() throws Exception {
        RealTools.require("qemu-io", "qemu-utils");
        Path disk = dir.resolve("disk.img");
        Ubd.run("create", "-f", "raw", s(disk), "1M").ok();
        String before = SharedVectors.md5(disk);
        String write = "qemu-io -f raw -c 'write -s " + cow + " 0 4k' \"$uri\"";

        Ubd.Result probed = serve("--run", write, s(disk));
        assertNotEquals(0, probed.exit(), probed::toString);
        assertEquals(before, SharedVectors.md5(disk), "the probed raw disk still holds no header");
        assertEquals("raw", new ObjectMapper().readTree(Ubd.run("info", "--output=json", s(disk)).ok().out())
                .get("format").asText());

        serve("-f", "raw", "--run", write, s(disk)).ok();
        assertNotEquals(before, SharedVectors.md5(disk), "named raw, the disk is the client's to write");
    }

    @Test
    void captiveModeSetsNbdkitsVariablesAndReturnsTheCommandsStatus() {
        Ubd.Result r = serve("--export-name=disk one", "--run",
                "echo \"$uri\"; echo \"$nbd\"; test -S \"$unixsocket\" && echo socket; exit 7", s(cow));
        assertEquals(7, r.exit(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).matches("nbd\\+unix:///disk%20one\\?socket=/.*/nbd\\.sock"), r::toString);
        assertTrue(lines.get(1).matches("nbd:unix:/.*/nbd\\.sock:exportname=disk one"), r::toString);
        assertEquals("socket", lines.get(2));
    }

    @Test
    void usageErrorsAreOneLine() {
        Ubd.Result both = serve("--socket=" + dir.resolve("s"), "--port=0", s(cow));
        assertEquals(2, both.exit(), both::toString);
        assertEquals(1, both.errLines().size(), both::toString);
        Ubd.Result missing = serve("--run", "true", s(dir.resolve("missing.img")));
        assertEquals(2, missing.exit(), missing::toString);
        assertEquals(1, missing.errLines().size(), missing::toString);
        assertTrue(missing.err().contains("missing.img"), missing::toString);
    }

    /** Without --run the server runs until SIGTERM, then closes the image: what a client wrote is in the file. */
    @Test
    void sigtermClosesTheImageWithTheWritesInIt() throws Exception {
        RealTools.require("qemu-io", "qemu-utils");
        Path socket = dir.resolve("nbd.sock");
        Process server = UbdProcess.start("serve", "--socket=" + socket, s(cow));
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(line != null && line.contains("nbd+unix:///?socket=" + socket), String.valueOf(line));
            RealTools.run(dir, 30, "qemu-io", "-f", "raw", "-c", "write -P 0x77 2M 8k",
                    "nbd+unix:///?socket=" + socket).assertOk("qemu-io");
        } finally {
            server.destroy(); // SIGTERM
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the server ends on SIGTERM");
        }
        assertFalse(Files.exists(socket), "the socket is removed");
        Ubd.run("io", "-c", "read -P 0x77 2M 8k", s(cow)).ok();
    }
}
