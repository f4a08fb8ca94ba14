package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ubdjvm.cow.testing.SharedVectors;

/** {@code ubd convert -O raw} writes the virtual disk the vectors README documents. */
class ConvertTest {
    private static final String WRITTEN_MD5 = "f4840f9ccc944cdb4c8150b4041be070";

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "v3-mkcow-written.cow, back-256k.img, f4840f9ccc944cdb4c8150b4041be070, 262144",
            "v3-mkcow-odd.cow,     back-odd.img,  e40ba339d150158278d5dcda8442ec66, 264192",
            "v1-handmade.cow,      back-256k.img, f4840f9ccc944cdb4c8150b4041be070, 262144",
            "v2-odd-handmade.cow,  back-odd.img,  7c13d92ece1edd6f94eca4e7397eaf9b, 264192"})
    void writesTheDocumentedVirtualDisk(String cow, String backing, String md5, long length) throws Exception {
        SharedVectors.copyTo(dir, cow, backing);
        Path out = dir.resolve("out.img");
        Ubd.run("convert", "-b", s(dir.resolve(backing)), "-O", "raw", s(dir.resolve(cow)), s(out)).ok();
        assertEquals(length, Files.size(out));
        assertEquals(md5, SharedVectors.md5(out));
    }

    /** Every engine writes the same disk (auto, the default, is what ubd bench --target=convert measures). */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"auto", "sync", "aio", "io_uring", "mmap"})
    void everyEngineWritesTheSameDisk(String engine) throws Exception {
        SharedVectors.copyTo(dir, "v3-mkcow-written.cow", "back-256k.img");
        Path out = dir.resolve("out.img");
        Ubd.run("convert", "--engine=" + engine, "-b", s(dir.resolve("back-256k.img")), "-O", "raw",
                s(dir.resolve("v3-mkcow-written.cow")), s(out)).ok();
        assertEquals(WRITTEN_MD5, SharedVectors.md5(out));
    }

    @Test
    void replacesAnExistingOutputCompletely() throws Exception {
        copyWritten();
        Path out = dir.resolve("out.img");
        Files.write(out, new byte[1 << 20]); // longer than the disk: must be cut, not just overwritten
        Files.write(out, "old".getBytes(), StandardOpenOption.APPEND);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-r-----"));
        convertWritten(out).ok();
        assertEquals(WRITTEN_MD5, SharedVectors.md5(out));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        assertEquals(List.of(), partFiles());
    }

    @Test
    void aFailedConvertLeavesTheOldOutputAsItWas() throws Exception {
        SharedVectors.copyTo(dir, "broken-size-mismatch.cow", "back-256k.img");
        Path out = dir.resolve("out.img");
        Files.writeString(out, "precious");
        Ubd.Result r = Ubd.run("convert", "-b", s(dir.resolve("back-256k.img")),
                s(dir.resolve("broken-size-mismatch.cow")), s(out));
        assertEquals(2, r.exit(), r::toString);
        assertEquals("precious", Files.readString(out));
        assertEquals(List.of(), partFiles());
    }

    @Test
    void writesThroughASymlinkAndRefusesNonRegularFiles() throws Exception {
        copyWritten();
        Path target = Files.writeString(dir.resolve("target.img"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.img"), target.getFileName());
        convertWritten(link).ok();
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(WRITTEN_MD5, SharedVectors.md5(target));

        Path folder = Files.createDirectory(dir.resolve("folder"));
        Ubd.Result r = convertWritten(folder);
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("not a regular file"), r::toString);
    }

    private void copyWritten() throws Exception {
        SharedVectors.copyTo(dir, "v3-mkcow-written.cow", "back-256k.img");
    }

    private Ubd.Result convertWritten(Path out) {
        return Ubd.run("convert", "-O", "raw", "-b", s(dir.resolve("back-256k.img")),
                s(dir.resolve("v3-mkcow-written.cow")), s(out));
    }

    /** Unfinished outputs ({@code .NAME.ubd-convert-PID}) that convert must never leave behind. */
    private List<Path> partFiles() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().contains(".ubd-convert-")).toList();
        }
    }

    @Test
    void zeroRegionsStayHoles() throws Exception {
        Path empty = dir.resolve("empty.img");
        Ubd.run("create", "-f", "raw", s(empty), "64M").ok();
        Path cow = dir.resolve("sparse.cow");
        Ubd.run("create", "-f", "cow", "-b", s(empty), s(cow)).ok();
        Ubd.run("io", "-c", "write -P 1 32M 4k", s(cow)).ok();
        Path out = dir.resolve("out.img");
        Ubd.run("convert", "-O", "raw", s(cow), s(out)).ok();

        assertEquals(64L << 20, Files.size(out));
        long allocated = blocksInUse(out);
        assertTrue(allocated < 1 << 20, "64 MiB of mostly zeros takes " + allocated + " bytes");
        long tail = (32 << 20) + 4096;
        Ubd.run("io", "-r", "-f", "raw", "-c", "read -P 0 0 32M", "-c", "read -P 1 32M 4k",
                "-c", "read -P 0 " + tail + " " + ((64 << 20) - tail), s(out)).ok();
    }

    @Test
    void refusesAnUnknownOutputFormat() {
        Ubd.Result r = Ubd.run("convert", "-O", "qcow2", s(dir.resolve("in")), s(dir.resolve("out")));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("unknown format 'qcow2' (known: raw, isam, cow, "), r::toString);
        assertFalse(Files.exists(dir.resolve("out")));
    }

    /** du's view of a file: the blocks really allocated, which Java cannot see; stat(1) can. */
    private static long blocksInUse(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
        String[] f = new String(p.getInputStream().readAllBytes()).trim().split(" ");
        p.waitFor();
        return Long.parseLong(f[0]) * Long.parseLong(f[1]);
    }
}
