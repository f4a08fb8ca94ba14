package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ubdjvm.cow.testing.SharedVectors;
import org.ubdjvm.hostio.testing.Fifos;

/**
 * Every command against hostile and careless input (issue 12), one table: bad numbers and headers, loops, special
 * files, a guest's header in a probed raw disk, full and read-only filesystems, permission denied. Each row asserts
 * the exit code, exactly one error line on stderr naming the file and the reason (after the warnings the row
 * expects), no stack trace, nothing on stdout, the md5 of every file that must not change, and no file left behind.
 * Signals mid-run, a backing removed mid-run and out of memory, which need a process of their own or a moment
 * chosen mid-run, follow the table.
 */
class HostileInputTest {
    /** "At once": seconds at most on a loaded machine; a blocked open would be forever. */
    private static final Duration AT_ONCE = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final List<SmallTmpfs> mounts = new ArrayList<>();

    @AfterEach
    void unmount() throws Exception {
        for (SmallTmpfs m : mounts) {
            m.close();
        }
    }

    /**
     * One row: the command line, its exit code, what the one error line must say and which file it must name, the
     * files that must not change, the warnings before the error, and whether to run it with fewer privileges.
     */
    record Case(List<String> args, int exit, String reason, Path named, List<Path> unchanged, int warnings,
                boolean dropDacOverride) {
        Case unchanged(Path... files) {
            return new Case(args, exit, reason, named, List.of(files), warnings, dropDacOverride);
        }

        Case warnings(int n) {
            return new Case(args, exit, reason, named, unchanged, n, dropDacOverride);
        }

        /** For the commands whose exit codes are qemu-img's (check, compare). */
        Case exit(int code) {
            return new Case(args, code, reason, named, unchanged, warnings, dropDacOverride);
        }

        /** Run as root without CAP_DAC_OVERRIDE: the file modes bind, as they would for a user. */
        Case withoutDacOverride() {
            return new Case(args, exit, reason, named, unchanged, warnings, true);
        }
    }

    /** Exit 2 naming {@code named} (null: no file to name, a usage error), the file itself unchanged if it is one. */
    static Case refused(String reason, Path named, Object... args) {
        List<Path> unchanged = named != null && Files.isRegularFile(named) ? List.of(named) : List.of();
        return new Case(Stream.of(args).map(String::valueOf).toList(), 2, reason, named, unchanged, 0, false);
    }

    @FunctionalInterface
    interface Setup {
        Case prepare(HostileInputTest t) throws Exception;
    }

    static Stream<Arguments> cases() {
        Map<String, Setup> rows = new LinkedHashMap<>();
        badHeadersAndBackings(rows);
        badRequestsAndOptions(rows);
        specialFiles(rows);
        probedRaw(rows);
        hostErrors(rows);
        nbdBackings(rows);
        lifecycleCommands(rows);
        return rows.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    private static void badHeadersAndBackings(Map<String, Setup> rows) {
        rows.put("truncated header", t -> t.vector("broken-truncated-v3.cow", "truncated V3 header", "-f", "cow", "-b",
                s(t.dir.resolve("back-256k.img"))));
        rows.put("bad magic", t -> t.vector("broken-bad-magic.cow", "bad magic", "-f", "cow"));
        rows.put("size mismatch", t -> t.vector("broken-size-mismatch.cow",
                "Size mismatch (262656 vs 262144) of COW header vs backing file", "-b", s(t.dir.resolve("back-256k.img"))));
        rows.put("mtime mismatch", t -> t.vector("broken-mtime-mismatch.cow",
                "mtime mismatch (1600000000 vs 1700000000) of COW header vs backing file",
                "-b", s(t.dir.resolve("back-256k.img"))));
        rows.put("bitmap past end of file", t -> t.vector("broken-bitmap-short.cow", "bitmap truncated",
                "-b", s(t.dir.resolve("back-256k.img"))));
        rows.put("backing missing", t -> {
            Path cow = t.ownCow();
            Files.delete(t.dir.resolve("back.img"));
            return refused("back.img\": no such file", cow, "io", "-c", "read 0 512", cow);
        });
        rows.put("data past end of file", t -> {
            Path cow = t.ownCow();
            Ubd.run("io", "-c", "write -P 7 256000 512", s(cow)).ok(); // sector 500
            long dataOffset = new ObjectMapper().readTree(Ubd.run("info", "--output=json", s(cow)).ok().out())
                    .at("/format-specific/data-offset").asLong();
            try (FileChannel ch = FileChannel.open(cow, StandardOpenOption.WRITE)) {
                ch.truncate(dataOffset + 400 * 512); // bit 500 stays set, its data is gone
            }
            return refused("data truncated: sector 500", cow, "io", "-c", "read 0 512", cow);
        });
        rows.put("backing loop, info", t -> {
            Path[] loop = t.loop();
            return refused("backing chain deeper than 64 layers (a loop?)", loop[1], "info", loop[0])
                    .unchanged(loop);
        });
        rows.put("backing loop, io", t -> {
            Path[] loop = t.loop();
            return refused("already open read-write in this process", loop[0], "io", "-c", "write 0 512", loop[0])
                    .unchanged(loop);
        });
        rows.put("convert onto its own input", t -> {
            Path cow = t.ownCow();
            return refused("a layer of the image", cow, "convert", "-O", "raw", cow, cow);
        });
        rows.put("convert onto its backing", t -> {
            Path cow = t.ownCow();
            Path back = t.dir.resolve("back.img");
            return refused("a layer of the image", back, "convert", "-O", "raw", cow, back).unchanged(cow, back);
        });
        rows.put("create over an existing file", t -> {
            Path cow = t.ownCow();
            return refused("already exists", cow, "create", "-f", "raw", cow, "1M");
        });
    }

    private static void badRequestsAndOptions(Map<String, Setup> rows) {
        rows.put("write to a read-only open", t -> {
            Path cow = t.ownCow();
            return refused("read-only", cow, "io", "-r", "-c", "write 0 512", cow);
        });
        rows.put("unaligned io offset", t -> {
            Path cow = t.ownCow();
            return refused("offset 100", cow, "io", "-c", "write 100 512", cow);
        });
        rows.put("request past the end", t -> {
            Path cow = t.ownCow();
            return refused("past the end", cow, "io", "-c", "write 256k 512", cow);
        });
        rows.put("bad number", t -> t.usage("invalid size '12Q'", "io", "-c", "write 0 12Q"));
        rows.put("bad pattern byte", t -> t.usage("invalid pattern '256'", "io", "-c", "write -P 256 0 512"));
        rows.put("bad option", t -> t.usage("Unknown option: '--bogus'", "io", "--bogus", "-c", "read 0 512"));
        rows.put("unknown io command", t -> t.usage("unknown command 'frob'", "io", "-c", "frob 0 512"));
        rows.put("unknown command", t -> t.usage(
                "unknown command 'frob' (known: create, info, io, convert, demo, run, bench", "frob"));
        rows.put("bad run block size", t -> {
            Path cow = t.ownCow();
            return refused("block size must be a positive multiple of 512", null, "run", "ubd0=" + cow, "--bs=1000")
                    .unchanged(cow);
        });
        rows.put("unknown create option", t -> {
            Path back = Ubd.patterned(t.dir.resolve("back.img"), 4096);
            return refused("format cow has no option 'cluster_size'", null, "create", "-f", "cow", "-o",
                    "cluster_size=64k", "-b", back, t.dir.resolve("new.cow")).unchanged(back);
        });
        rows.put("write -s from a missing file", t -> {
            Path cow = t.ownCow();
            Path none = t.dir.resolve("none");
            return refused("cannot open: no such file", none, "io", "-c", "write -s " + none + " 0 512", cow)
                    .unchanged(cow);
        });
    }

    private static void lifecycleCommands(Map<String, Setup> rows) {
        String fifo = "cannot open: is a FIFO (named pipe), not a disk";
        rows.put("FIFO, check", t -> refused(fifo, t.fifo(), "check", t.fifo()).exit(CheckCommand.NOT_COMPLETED));
        rows.put("FIFO, map", t -> refused(fifo, t.fifo(), "map", t.fifo()));
        rows.put("FIFO, compare", t -> refused(fifo, t.fifo(), "compare", t.fifo(), t.fifo()));
        rows.put("check as a format it is not", t -> {
            Path back = t.dir.resolve("back.img");
            Ubd.patterned(back, 64 * 1024);
            return refused("bad magic", back, "check", "-f", "cow", back).exit(CheckCommand.NOT_COMPLETED);
        });
        rows.put("compare with a missing image", t -> {
            Path cow = t.ownCow();
            Path none = t.dir.resolve("none.img");
            return refused("no such file", none, "compare", cow, none).exit(CompareCommand.OPEN_ERROR).unchanged(cow);
        });
        rows.put("convert -B onto a smaller backing", t -> {
            Path cow = t.ownCow();
            Path small = Ubd.patterned(t.dir.resolve("small.img"), 4096);
            Path out = t.dir.resolve("out.cow");
            return refused("less than the", out, "convert", "-O", "cow", "-B", small, cow, out).unchanged(cow, small);
        });
        rows.put("convert to a layered format without -B", t -> {
            Path cow = t.ownCow();
            Path out = t.dir.resolve("out.cow");
            return refused("needs a backing file", out, "convert", "-O", "cow", cow, out).unchanged(cow);
        });
    }

    private static void specialFiles(Map<String, Setup> rows) {
        String fifo = "cannot open: is a FIFO (named pipe), not a disk";
        rows.put("FIFO, info", t -> refused(fifo, t.fifo(), "info", t.fifo()));
        rows.put("FIFO, io", t -> refused(fifo, t.fifo(), "io", "-c", "write 0 512", t.fifo()));
        rows.put("FIFO, io -r -f raw", t -> refused(fifo, t.fifo(), "io", "-r", "-f", "raw", "-c", "read 0 512", t.fifo()));
        rows.put("FIFO, convert", t -> refused(fifo, t.fifo(), "convert", "-O", "raw", t.fifo(), t.dir.resolve("out")));
        rows.put("FIFO, run", t -> refused(fifo, t.fifo(), "run", "ubd0d=" + t.fifo(), "--ops=1"));
        rows.put("FIFO as backing, create", t -> refused(fifo, t.fifo(), "create", "-f", "cow", "-b", t.fifo(),
                t.dir.resolve("new.cow")));
        rows.put("FIFO as backing, run", t -> refused(fifo, t.fifo(), "run", "ubd0=" + t.dir.resolve("new.cow") + ","
                + t.fifo(), "--ops=1").warnings(1)); // the kernel's "Creating ... as COW file", then the refusal
        rows.put("FIFO named in a COW header", t -> {
            Path cow = t.ownCow();
            Path back = t.dir.resolve("back.img");
            Files.delete(back);
            Fifos.mkfifo(back);
            return refused(fifo, back, "info", cow).unchanged(cow);
        });
        rows.put("socket, io", t -> refused("cannot open: is a socket, not a disk", t.socket(), "io", "-c",
                "read 0 512", t.socket()));
        rows.put("character device, io", t -> refused("cannot open: is a character device, not a disk",
                Path.of("/dev/urandom"), "io", "-r", "-c", "read 0 512", "/dev/urandom"));
        rows.put("directory, info", t -> refused("cannot open: is a directory", t.dir, "info", t.dir));
    }

    private static void probedRaw(Map<String, Setup> rows) {
        rows.put("COW header into a probed raw disk", t -> {
            Path guest = Files.write(t.dir.resolve("guest.img"), new byte[1 << 20]);
            Path evil = t.dir.resolve("evil.cow");
            Ubd.run("create", "-f", "cow", "-b", s(t.ownCowBacking()), s(evil)).ok();
            return refused("would make it probe as cow", guest, "io", "-c", "write -s " + evil + " 0 12k", guest)
                    .unchanged(guest, evil).warnings(1);
        });
    }

    /** An NBD URI where a backing file would be: malformed, unsupported, or with no server behind it. */
    private static void nbdBackings(Map<String, Setup> rows) {
        rows.put("bad NBD URI as a backing", t -> {
            Path uri = Path.of("nbd+unix:///?sockt=" + t.dir.resolve("s.sock"));
            return refused("bad NBD URI: unknown parameter 'sockt' (known: socket)", uri, "create", "-f", "cow",
                    "-b", uri, t.dir.resolve("new.cow"));
        });
        rows.put("NBD URI with TLS", t -> refused("bad NBD URI: TLS (nbds) is not supported", Path.of("nbds://host/x"),
                "info", "nbds://host/x"));
        rows.put("no NBD server behind a backing URI", t -> {
            String uri = "nbd+unix:///?socket=" + t.dir.resolve("nobody.sock"); // as typed: a Path folds the "//"
            return refused("cannot connect to the NBD server at socket " + t.dir.resolve("nobody.sock"), Path.of(uri),
                    "run", "ubd0=" + t.dir.resolve("dev.cow") + "," + uri, "--ops=1").warnings(1);
        });
    }

    private static void hostErrors(Map<String, Setup> rows) {
        String enospc = "ENOSPC (No space left on device)";
        rows.put("full filesystem, create raw", t -> {
            Path img = t.fullTmpfs().resolve("new.raw");
            return refused(enospc, img, "create", "-f", "raw", img, "1M");
        });
        rows.put("full filesystem, create cow", t -> {
            Path back = t.ownCowBacking();
            Path cow = t.fullTmpfs().resolve("new.cow");
            return refused(enospc, cow, "create", "-f", "cow", "-b", back, cow).unchanged(back);
        });
        rows.put("full filesystem, convert", t -> {
            Path back = t.ownCowBacking();
            Path out = t.fullTmpfs().resolve("out.raw");
            return refused(enospc, out, "convert", "-O", "raw", back, out).unchanged(back);
        });
        rows.put("full filesystem, a device created on open", t -> {
            Path back = t.ownCowBacking();
            Path cow = t.fullTmpfs().resolve("dev.cow");
            return refused(enospc, cow, "run", "ubd0=" + cow + "," + back, "--ops=1").unchanged(back).warnings(1);
        });
        rows.put("full filesystem, run", t -> {
            Path back = t.ownCowBacking();
            Path cow = t.tmpfs().resolve("disk.cow");
            Ubd.run("create", "-f", "cow", "-b", s(back), s(cow)).ok();
            t.mounts.get(t.mounts.size() - 1).fill();
            return refused(enospc, cow, "run", "ubd0=" + cow, "--rw=randwrite", "--runtime=30s").unchanged(back);
        });
        String erofs = "EROFS (Read-only file system)";
        rows.put("read-only filesystem, io", t -> {
            Path ro = t.tmpfs();
            Path img = Files.write(ro.resolve("disk.img"), new byte[64 * 1024]);
            t.mounts.get(t.mounts.size() - 1).readOnly();
            return refused(erofs, img, "io", "-f", "raw", "-c", "write 0 512", img);
        });
        rows.put("read-only filesystem, create", t -> {
            Path ro = t.tmpfs();
            t.mounts.get(t.mounts.size() - 1).readOnly();
            Path img = ro.resolve("new.raw");
            return refused(erofs, img, "create", "-f", "raw", img, "1M");
        });
        rows.put("permission denied, io", t -> {
            Path img = Files.write(t.dir.resolve("locked.img"), new byte[64 * 1024]);
            Files.setPosixFilePermissions(img, PosixFilePermissions.fromString("---------"));
            return refused("permission denied", img, "io", "-f", "raw", "-r", "-c", "read 0 512", img)
                    .withoutDacOverride();
        });
        rows.put("permission denied, journal", t -> {
            Path back = t.ownCowBacking();
            Path locked = Files.createDirectory(t.dir.resolve("locked"));
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-x------"));
            Path journal = locked.resolve("run.journal");
            return refused("cannot write the journal here: cannot open: permission denied", journal, "run",
                    "ubd0d=" + back, "--journal=" + journal).unchanged(back).withoutDacOverride();
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedWithOneLineAndNothingChanged(String name, Setup setup) throws Exception {
        Case c = setup.prepare(this);
        List<String> before = md5s(c.unchanged());
        List<String> filesBefore = files();
        Ubd.Result r = c.dropDacOverride() ? runWithoutDacOverride(c.args()) : runAtOnce(c.args());

        assertEquals(c.exit(), r.exit(), r::toString);
        assertEquals("", r.out(), r::toString);
        assertEquals(c.warnings() + 1, r.errLines().size(), () -> "the warnings and one line\n" + r);
        for (String warning : r.errLines().subList(0, c.warnings())) {
            assertTrue(warning.startsWith("ubd: warning: "), r::toString);
        }
        String line = r.errLines().get(c.warnings());
        assertTrue(line.startsWith("ubd: ") && !line.startsWith("ubd: warning:"), line);
        assertTrue(line.contains(c.reason()), () -> "reason '" + c.reason() + "' in: " + line);
        if (c.named() != null) {
            assertTrue(line.contains(c.named().toString() + ":") || line.contains(c.named() + "\""),
                    () -> "names " + c.named() + ": " + line);
        }
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), () -> "a stack trace\n" + r);
        assertEquals(before, md5s(c.unchanged()), "a file that must not change was changed");
        assertEquals(filesBefore, files(), "files made or removed");
    }

    /**
     * SIGTERM or SIGINT during a convert: the JVM's shutdown hook removes the unfinished file; OUT never appears.
     * The input is a 4 GiB hole, so the convert reads for seconds and writes nothing but the temporary's length.
     */
    @Test
    void aSignalDuringConvertLeavesNoFile() throws Exception {
        Path in = dir.resolve("in.raw");
        try (FileChannel ch = FileChannel.open(in, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1}), (4L << 30) - 1);
        }
        for (String signal : List.of("TERM", "INT")) {
            Path out = dir.resolve("out-" + signal + ".raw");
            Process p = UbdProcess.start("convert", "-f", "raw", "-O", "raw", s(in), s(out));
            Path part = dir.resolve(".out-" + signal + ".raw.ubd-convert-" + p.pid());
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(part) && p.isAlive() && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertTrue(p.isAlive() && Files.exists(part), "convert must be writing when signalled");
            new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(128 + (signal.equals("TERM") ? 15 : 2), p.exitValue(), err);
            assertFalse(err.contains("\tat "), err);
            try (Stream<Path> left = Files.list(dir)) {
                assertEquals(List.of("in.raw"), left.map(f -> f.getFileName().toString()).toList(),
                        "no OUT and no temporary after SIG" + signal);
            }
        }
    }

    /** A backing removed while a run reads it: the open file carries on (as the kernel's would), exit 0. */
    @Test
    void aBackingRemovedMidRunIsStillReadThroughItsOpenFile() throws Exception {
        Path back = Ubd.patterned(dir.resolve("back.img"), 1 << 20);
        Path cow = dir.resolve("top.cow");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(cow)).ok();
        Process p = UbdProcess.start("run", "ubd0=" + cow + "," + back, "--rw=randrw", "--runtime=3s", "--verify");
        awaitOpen(p, back);
        awaitThread(p, "ring-ubda"); // the device's ring starts once the stack has opened and passed its checks
        Files.delete(back);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out + err);
        assertTrue(out.contains("mismatches: 0") && out.contains("errors: 0"), out);
        Ubd.Result after = Ubd.run("io", "-r", "-c", "read 0 512", s(cow));
        assertEquals(2, after.exit(), "the next open finds it gone: " + after);
    }

    /** Waits until process {@code p} runs a thread named {@code name} (its /proc/PID/task/N/comm). */
    private static void awaitThread(Process p, String name) throws Exception {
        awaitProcEntry(p, "task", t -> Files.readString(t.resolve("comm")).strip().equals(name),
                "the run never started its thread " + name);
    }

    /** Waits until process {@code p} holds {@code file} open (its /proc/PID/fd). */
    private static void awaitOpen(Process p, Path file) throws Exception {
        awaitProcEntry(p, "fd", fd -> Files.readSymbolicLink(fd).equals(file), file + " was never opened by the run");
    }

    /** A test of one entry of /proc/PID/DIR, which may vanish while it is read (then it does not match). */
    @FunctionalInterface
    private interface ProcEntryTest {
        boolean matches(Path entry) throws IOException;
    }

    /** Polls /proc/PID/{@code dir} (up to 60 s, while {@code p} lives) until an entry matches. */
    private static void awaitProcEntry(Process p, String dir, ProcEntryTest test, String never) throws Exception {
        Path entries = Path.of("/proc", String.valueOf(p.pid()), dir);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (p.isAlive() && System.nanoTime() < until) {
            try (Stream<Path> listed = Files.list(entries)) {
                if (listed.anyMatch(e -> {
                    try {
                        return test.matches(e);
                    } catch (IOException gone) {
                        return false;
                    }
                })) {
                    return;
                }
            } catch (IOException gone) {
                break;
            }
            Thread.sleep(10);
        }
        throw new AssertionError(never);
    }

    private Ubd.Result runAtOnce(List<String> args) {
        return org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(AT_ONCE,
                () -> Ubd.run(args.toArray(String[]::new)), () -> "ubd " + String.join(" ", args));
    }

    /** As root without CAP_DAC_OVERRIDE/DAC_READ_SEARCH: the file modes apply, as they would to a user. */
    private Ubd.Result runWithoutDacOverride(List<String> args) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
            org.ubdjvm.hostio.testing.CiRule.skipOrFail("setpriv (util-linux) is not installed");
        }
        Process p = UbdProcess.builder(List.of("/usr/bin/setpriv", "--bounding-set", "-dac_override,-dac_read_search"),
                List.of(), args.toArray(String[]::new)).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Ubd.Result(args, p.exitValue(), out, err);
    }

    /** A read-write open of a vector copy: the strictest case, where a bad header could get rewritten. */
    private Case vector(String file, String reason, String... options) throws Exception {
        SharedVectors.copyTo(dir, file, "back-256k.img");
        List<Object> args = new ArrayList<>(List.of("io"));
        args.addAll(List.of(options));
        args.addAll(List.of("-c", "read 0 512", dir.resolve(file)));
        return refused(reason, dir.resolve(file), args.toArray());
    }

    /** A usage error on a fresh {@link #ownCow}, which must not change; the line names no file. */
    private Case usage(String reason, String... args) throws Exception {
        Path cow = ownCow();
        List<Object> all = new ArrayList<>(List.of(args));
        if (!args[0].equals("frob")) {
            all.add(cow);
        }
        return refused(reason, null, all.toArray()).unchanged(cow);
    }

    /** A V3 COW file made by ubd over a 256 KiB raw disk {@code back.img}. */
    private Path ownCow() throws Exception {
        Path back = ownCowBacking();
        Path cow = dir.resolve("own.cow");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(cow)).ok();
        return cow;
    }

    private Path ownCowBacking() throws IOException {
        Path back = dir.resolve("back.img");
        return Files.exists(back) ? back : Ubd.patterned(back, 262_144);
    }

    /** {@code a.cow} over {@code b.cow} over {@code a.cow}: a's header edited to name b. */
    private Path[] loop() throws Exception {
        Path back = ownCowBacking();
        Path a = dir.resolve("a.cow");
        Path b = dir.resolve("b.cow");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(a)).ok();
        Ubd.run("create", "-f", "cow", "-b", s(a), s(b)).ok();
        byte[] name = Arrays.copyOf(b.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8), 4096);
        try (FileChannel ch = FileChannel.open(a, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(name), 32); // V3: backing_file[4096] at offset 32
        }
        return new Path[] {a, b};
    }

    private Path fifo() throws Exception {
        Path p = dir.resolve("pipe");
        return Files.exists(p) ? p : Fifos.mkfifo(p);
    }

    private Path socket() throws IOException {
        Path p = dir.resolve("sock");
        if (!Files.exists(p)) {
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(p)); // the file stays after the channel is gone
            server.close();
        }
        return p;
    }

    private Path tmpfs() throws Exception {
        SmallTmpfs m = SmallTmpfs.mount(dir.resolve("small" + mounts.size()));
        mounts.add(m);
        return m.dir();
    }

    private Path fullTmpfs() throws Exception {
        Path d = tmpfs();
        mounts.get(mounts.size() - 1).fill();
        return d;
    }

    private List<String> md5s(List<Path> files) throws Exception {
        List<String> out = new ArrayList<>();
        for (Path f : files) {
            out.add(SharedVectors.md5(f));
        }
        return out;
    }

    /** Every name under the test directory and its mounts. */
    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }
}
