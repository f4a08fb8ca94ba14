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
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.cow.testing.SharedVectors;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceFlags;
import org.ubdjvm.driver.DeviceSpec;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.harness.nbd.NbdAddress;
import org.ubdjvm.harness.nbd.NbdExport;
import org.ubdjvm.harness.nbd.NbdServer;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;

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
        Files.deleteIfExists(cow);
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

    /**
     * Our client over our server: a COW whose backing is the URI of a read-only export of the base (the server
     * in-process, as {@code ubd serve -r -f raw} builds it) reads as the same COW over the file, and its writes stay
     * in it.
     */
    @Test
    void aCowOverAnotherUbdServeReadsAsOverTheFile() throws Exception {
        String baseMd5 = SharedVectors.md5(base);
        Path socket = dir.resolve("base.sock");
        Path remote = dir.resolve("remote.cow");
        Path remoteRaw = dir.resolve("remote.raw");
        DeviceFlags readOnly = DeviceFlags.DEFAULT.withReadOnly(true);
        try (IoEngine engine = new SyncEngine();
             UbdDevice device = UbdDevice.open(new DeviceSpec(0, base, null, null, readOnly),
                     DeviceEnvironment.of(ImageOpener.over(engine)), "raw");
             NbdServer server = NbdServer.start(NbdAddress.unix(socket).bind(), new NbdExport("", "", device), 0,
                     w -> { })) {
            String uri = NbdAddress.unix(socket).uri("");
            Ubd.run("create", "-f", "cow", "-b", uri, s(remote)).ok();
            Ubd.run("io", "-c", "write -P 0x55 1M 64k", "-c", "read -P 0x55 1M 64k", s(remote)).ok();
            Ubd.run("convert", "-O", "raw", s(remote), s(remoteRaw)).ok();
        }
        Path local = dir.resolve("local.raw");
        Ubd.run("convert", "-O", "raw", s(cow), s(local)).ok();
        assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(remoteRaw));
        assertEquals(baseMd5, SharedVectors.md5(base), "the served base is untouched");
    }

    /** nbdcopy into the export over several connections at once (multi-conn), then out again: the same bytes. */
    @Test
    void nbdcopyWritesOverSeveralConnectionsAndReadsTheSameBack() throws Exception {
        RealTools.require("nbdcopy", "libnbd-bin");
        byte[] data = new byte[4 * MIB];
        new Random(4).nextBytes(data);
        Path in = Files.write(dir.resolve("in.raw"), data);
        Path out = dir.resolve("out.raw");
        serve("--run", "nbdcopy --connections=4 --requests=16 " + in + " \"$uri\" && nbdcopy \"$uri\" " + out,
                s(cow)).ok();
        assertArrayEquals(data, Files.readAllBytes(out));
        Path converted = dir.resolve("converted.raw");
        Ubd.run("convert", "-O", "raw", s(cow), s(converted)).ok();
        assertArrayEquals(data, Files.readAllBytes(converted), "the COW holds it after the server closed it");
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

    /**
     * nbd-edges.py: every option and command, block sizes, the can_* flags, structured replies on and off,
     * FAST_ZERO, and requests a careful client never sends; then the same export read-only.
     */
    @Test
    void nbdshDrivesTheProtocolEdges() throws Exception {
        Path script = nbdshScript();
        String nbdsh = "PATH=/usr/bin:$PATH nbdsh -n -c \"$(cat " + script + ")\"";
        Ubd.Result r = serve("-x", "disk", "-D", "the disk", "--run", nbdsh, s(cow));
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("protocol edges ok"), r::toString);
        assertEquals("", r.err(), "no client was dropped");

        stack();
        Ubd.Result ro = serve("-r", "-x", "disk", "-D", "the disk", "--run", "READONLY=1 " + nbdsh, s(cow));
        assertEquals(0, ro.exit(), ro::toString);
        assertTrue(ro.out().contains("read-only edges ok"), ro::toString);
    }

    /**
     * The script, where nbdsh can read it. nbdsh runs {@code python3 -m nbd}, and Debian's python3-libnbd is in the
     * system python's path, which a python earlier on PATH (pyenv) would hide: hence PATH=/usr/bin first.
     */
    private Path nbdshScript() throws Exception {
        RealTools.require("nbdsh", "libnbd-bin");
        if (RealTools.run(dir, 30, "sh", "-c", "PATH=/usr/bin:$PATH python3 -c 'import nbd'").exitCode() != 0) {
            org.ubdjvm.hostio.testing.CiRule.skipOrFail("python3 cannot import nbd (install python3-libnbd)");
        }
        Path script = dir.resolve("nbd-edges.py");
        try (var in = ServeTest.class.getResourceAsStream("nbd-edges.py")) {
            Files.copy(in, script);
        }
        return script;
    }

    /**
     * The host-mount scenario without a kernel nbd device: an ext2 made into a raw base, a COW over it served, and
     * nbdfuse's file of the export changed with debugfs and checked with e2fsck; the base never changes.
     */
    @Test
    void nbdfuseAndE2fsckSeeACleanExt2ThroughTheServedCow() throws Exception {
        RealTools.require("nbdfuse", "nbdfuse");
        RealTools.require("mkfs.ext2", "e2fsprogs");
        RealTools.require("debugfs", "e2fsprogs");
        RealTools.require("e2fsck", "e2fsprogs");
        if (!Files.exists(Path.of("/dev/fuse"))) {
            org.ubdjvm.hostio.testing.CiRule.skipOrFail("/dev/fuse is missing: nbdfuse cannot mount");
        }
        Path files = Files.createDirectory(dir.resolve("files"));
        Files.writeString(files.resolve("hello.txt"), "hello from the base\n");
        Path fsBase = dir.resolve("ext2.img");
        Ubd.run("create", "-f", "raw", s(fsBase), "8M").ok();
        RealTools.run(dir, 30, "mkfs.ext2", "-q", "-F", "-d", s(files), s(fsBase)).assertOk("mkfs.ext2");
        String baseMd5 = SharedVectors.md5(fsBase);
        Path fsCow = dir.resolve("ext2.cow");
        Ubd.run("create", "-f", "cow", "-b", s(fsBase), s(fsCow)).ok();
        Path mount = Files.createDirectory(dir.resolve("mnt"));
        Path note = Files.writeString(dir.resolve("note.txt"), "written through NBD\n");
        String script = "nbdfuse " + mount + " \"$uri\" & fuse=$!\n"
                + "for i in $(seq 100); do [ -e " + mount + "/nbd ] && break; sleep 0.1; done\n"
                + "debugfs -w -R 'write " + note + " note.txt' " + mount + "/nbd\n"
                + "e2fsck -fn " + mount + "/nbd; status=$?\n"
                + "debugfs -R 'cat hello.txt' " + mount + "/nbd; debugfs -R 'cat note.txt' " + mount + "/nbd\n"
                + "umount " + mount + " || fusermount3 -u " + mount + "\n"
                + "wait $fuse\nexit $status";
        Ubd.Result r = serve("--run", script, s(fsCow));
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("hello from the base") && r.out().contains("written through NBD"), r::toString);
        assertEquals(baseMd5, SharedVectors.md5(fsBase), "the base is untouched: the change is in the COW");
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
    void tcpOnAFreePortWorksToo() throws Exception {
        RealTools.require("nbdinfo", "libnbd-bin");
        Ubd.Result r = serve("--port=0", "--run", "echo \"$uri\" \"$port\"; nbdinfo --size \"$uri\"", s(cow)).ok();
        List<String> lines = r.out().lines().toList();
        String[] uriAndPort = lines.get(0).split(" ");
        assertEquals("nbd://127.0.0.1:" + uriAndPort[1] + "/", uriAndPort[0], r::toString);
        assertEquals(String.valueOf(4 * MIB), lines.get(1), r::toString);
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

    /** SIGTERM in captive mode ends the command, then closes the server and the image, without waiting for it. */
    @Test
    void sigtermInCaptiveModeEndsTheCommandAndClosesTheImage() throws Exception {
        RealTools.require("qemu-io", "qemu-utils");
        Process server = UbdProcess.start("serve", "--run",
                "qemu-io -f raw -c 'write -P 0x66 3M 8k' \"$uri\" >/dev/null && echo ready && sleep 600", s(cow));
        try {
            String line = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertEquals("ready", line);
        } finally {
            server.destroy(); // SIGTERM
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the server ends on SIGTERM, the command too");
        }
        Ubd.run("io", "-c", "read -P 0x66 3M 8k", s(cow)).ok();
    }

    /**
     * Out of direct memory (two 32 MiB reads at once in a JVM allowed 48 MiB): one read fails with ENOMEM, and the
     * connection and the server go on.
     */
    @Test
    void readsBeyondTheMemoryAtHandFailWithEnomemAndTheServerGoesOn() throws Exception {
        nbdshScript();
        Path disk = dir.resolve("big.img");
        Ubd.run("create", "-f", "raw", s(disk), "64M").ok();
        Path socket = dir.resolve("nbd.sock");
        Path serverErr = dir.resolve("server.err");
        Process server = UbdProcess.builder(List.of(), List.of("-XX:MaxDirectMemorySize=48m"), "serve", "-f", "raw",
                "--socket=" + socket, s(disk)).redirectError(serverErr.toFile()).start();
        try {
            new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8)).readLine();
            String script = "def wait(c):\n"
                    + "    while True:\n"
                    + "        try:\n"
                    + "            if h.aio_command_completed(c):\n"
                    + "                return 0\n"
                    + "        except nbd.Error as e:\n"
                    + "            return e.errnum\n"
                    + "        h.poll(-1)\n"
                    + "b1 = nbd.Buffer(32 << 20)\n"
                    + "b2 = nbd.Buffer(32 << 20)\n"
                    + "c1 = h.aio_pread(b1, 0)\n"
                    + "c2 = h.aio_pread(b2, 32 << 20)\n"
                    + "print(sorted([wait(c1), wait(c2)]))\n"
                    + "print(len(h.pread(4096, 0)))\n";
            RealTools.Run r = RealTools.run(dir, 60, java.util.Map.of("PATH", "/usr/bin:" + System.getenv("PATH")),
                    "nbdsh", "-u", "nbd+unix:///?socket=" + socket, "-c", script).assertOk("nbdsh");
            assertEquals(List.of("[0, 12]", "4096"), r.stdout().lines().toList(), r.stderr());
        } finally {
            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }
        String err = Files.readString(serverErr);
        assertFalse(err.contains("Error") || err.contains("Exception"), err);
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
