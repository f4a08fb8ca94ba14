package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ubdjvm.cow.testing.SharedVectors;

/**
 * The house rule for bad input: exit 2, one line on stderr naming the file and the reason, no stack trace, and
 * the file exactly as it was.
 */
class BadInputTest {
    private static final String COW = "<own.cow>";

    @TempDir
    Path dir;

    /** What to run, which file must survive it unchanged, and what the one line must say. */
    record Case(List<String> args, Path file, String reason, boolean namesFile) {
    }

    @FunctionalInterface
    interface Setup {
        Case prepare(Path dir) throws Exception;
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("truncated header", (Setup) d -> vector(d, "broken-truncated-v3.cow",
                        "truncated V3 header", "-f", "cow", "-b", s(d.resolve("back-256k.img")))),
                Arguments.of("bad magic", (Setup) d -> vector(d, "broken-bad-magic.cow", "bad magic", "-f", "cow")),
                Arguments.of("backing missing", (Setup) d -> {
                    Path cow = ownCow(d);
                    Files.delete(d.resolve("back.img"));
                    return read(cow, "back.img\": no such file");
                }),
                Arguments.of("size mismatch", (Setup) d -> vector(d, "broken-size-mismatch.cow",
                        "Size mismatch (262656 vs 262144) of COW header vs backing file",
                        "-b", s(d.resolve("back-256k.img")))),
                Arguments.of("mtime mismatch", (Setup) d -> vector(d, "broken-mtime-mismatch.cow",
                        "mtime mismatch (1600000000 vs 1700000000) of COW header vs backing file",
                        "-b", s(d.resolve("back-256k.img")))),
                Arguments.of("bitmap past end of file", (Setup) d -> vector(d, "broken-bitmap-short.cow",
                        "bitmap truncated", "-b", s(d.resolve("back-256k.img")))),
                Arguments.of("data past end of file", (Setup) d -> {
                    Path cow = ownCow(d);
                    Ubd.run("io", "-c", "write -P 7 256000 512", s(cow)).ok(); // sector 500
                    long dataOffset = new ObjectMapper().readTree(Ubd.run("info", "--output=json", s(cow)).ok().out())
                            .at("/format-specific/data-offset").asLong();
                    try (FileChannel ch = FileChannel.open(cow, StandardOpenOption.WRITE)) {
                        ch.truncate(dataOffset + 400 * 512); // bit 500 stays set, its data is gone
                    }
                    return read(cow, "data truncated: sector 500");
                }),
                Arguments.of("write to a read-only open",
                        onOwnCow("read-only", true, "io", "-r", "-c", "write 0 512", COW)),
                Arguments.of("unaligned io offset", onOwnCow("offset 100", true, "io", "-c", "write 100 512", COW)),
                Arguments.of("request past the end", onOwnCow("past the end", true, "io", "-c", "write 256k 512", COW)),
                Arguments.of("bad number", onOwnCow("invalid size '12Q'", false, "io", "-c", "write 0 12Q", COW)),
                Arguments.of("bad pattern byte",
                        onOwnCow("invalid pattern '256'", false, "io", "-c", "write -P 256 0 512", COW)),
                Arguments.of("bad option",
                        onOwnCow("Unknown option: '--bogus'", false, "io", "--bogus", "-c", "read 0 512", COW)),
                Arguments.of("unknown io command",
                        onOwnCow("unknown command 'frob'", false, "io", "-c", "frob 0 512", COW)),
                Arguments.of("unknown command", onOwnCow(
                        "unknown command 'frob' (known: create, info, io, convert, demo, run, bench)", false, "frob", COW)),
                Arguments.of("create over an existing file",
                        onOwnCow("already exists", true, "create", "-f", "raw", COW, "1M")),
                Arguments.of("convert onto its own input",
                        onOwnCow("a layer of the image", true, "convert", "-O", "raw", COW, COW)),
                Arguments.of("unknown create option", (Setup) d -> {
                    Path back = Ubd.patterned(d.resolve("back.img"), 4096);
                    return new Case(List.of("create", "-f", "cow", "-o", "cluster_size=64k", "-b", s(back),
                            s(d.resolve("new.cow"))), back, "format cow has no option 'cluster_size'", false);
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedWithOneLineAndNothingChanged(String name, Setup setup) throws Exception {
        Case c = setup.prepare(dir);
        String before = SharedVectors.md5(c.file());
        Ubd.Result r = Ubd.run(c.args().toArray(String[]::new));

        assertEquals(2, r.exit(), r::toString);
        assertEquals(1, r.errLines().size(), () -> "exactly one line on stderr\n" + r);
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("ubd: "), line);
        assertTrue(line.contains(c.reason()), () -> "reason '" + c.reason() + "' in: " + line);
        if (c.namesFile()) {
            assertTrue(line.contains(c.file().toString()), () -> "names " + c.file() + ": " + line);
        }
        assertEquals("", r.out(), r::toString);
        assertEquals(before, SharedVectors.md5(c.file()), "the file was changed");
        assertEquals(List.of(), leftovers(), "new files left behind");
    }

    /** A read-write open of a vector copy: the strictest case, where a bad header could get rewritten. */
    private static Case vector(Path d, String file, String reason, String... options) throws Exception {
        SharedVectors.copyTo(d, file, "back-256k.img");
        List<String> args = new ArrayList<>(List.of("io"));
        args.addAll(List.of(options));
        args.addAll(List.of("-c", "read 0 512", s(d.resolve(file))));
        return new Case(args, d.resolve(file), reason, true);
    }

    /** A case on a fresh {@link #ownCow}; {@link #COW} in {@code args} stands for its path. */
    private static Setup onOwnCow(String reason, boolean namesFile, String... args) {
        return d -> {
            Path cow = ownCow(d);
            List<String> resolved = Stream.of(args).map(a -> a.equals(COW) ? s(cow) : a).toList();
            return new Case(resolved, cow, reason, namesFile);
        };
    }

    /** A V3 COW file made by ubd over a 256 KiB raw disk. */
    private static Path ownCow(Path d) throws Exception {
        Path back = Ubd.patterned(d.resolve("back.img"), 262_144);
        Path cow = d.resolve("own.cow");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(cow)).ok();
        return cow;
    }

    private static Case read(Path cow, String reason) {
        return new Case(List.of("io", "-c", "read 0 512", s(cow)), cow, reason, true);
    }

    /** Files a failed command must not create (the convert and create targets). */
    private List<Path> leftovers() {
        return Stream.of("new.cow").map(dir::resolve).filter(Files::exists).toList();
    }
}
