package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ubd io}: qemu-io's lines, its default pattern, and exit 1 on a mismatch. */
class IoTest {
    @TempDir
    Path dir;

    private Path cow;

    @BeforeEach
    void image() {
        Path back = dir.resolve("back.img");
        Ubd.run("create", s(back), "4M").ok();
        cow = dir.resolve("disk.cow");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(cow)).ok();
    }

    @Test
    void writesAndReadsBackPatternsLikeQemuIo() {
        Ubd.Result w = Ubd.run("io", "-c", "write 0 4k", "-c", "write -P 0xab 4k 2M", "-c", "flush", s(cow)).ok();
        assertEquals("wrote 4096/4096 bytes at offset 0\nwrote 2097152/2097152 bytes at offset 4096\n", w.out());

        Ubd.Result r = Ubd.run("io", "-r", "-c", "read -P 0xcd 0 4k", "-c", "read -P 171 4k 2M",
                "-c", "read -P 0 2101248 512", "-c", "read 0 4M", s(cow)).ok();
        assertEquals("read 4096/4096 bytes at offset 0\nread 2097152/2097152 bytes at offset 4096\n"
                + "read 512/512 bytes at offset 2101248\nread 4194304/4194304 bytes at offset 0\n", r.out());
    }

    @Test
    void mismatchNamesTheFirstWrongByteAndExits1() {
        Ubd.run("io", "-c", "write -P 0x11 0 1k", "-c", "write -P 0x22 1k 512", s(cow)).ok();
        Ubd.Result r = Ubd.run("io", "-r", "-c", "read -P 0x11 0 2k", "-c", "read 0 512", s(cow));
        assertEquals(1, r.exit(), r::toString);
        assertEquals(cow + ": pattern mismatch at offset 1024: expected 0x11, found 0x22\n", r.out(),
                "stops at the first failing command");
    }

    @Test
    void writesSurviveAReopenThroughTheChain() {
        Path top = dir.resolve("top.cow");
        Ubd.run("io", "-c", "write -P 1 0 8k", s(cow)).ok();
        Ubd.run("create", "-f", "cow", "-b", s(cow), s(top)).ok();
        Ubd.run("io", "-c", "write -P 2 4k 8k", s(top)).ok();
        Ubd.run("io", "-r", "-c", "read -P 1 0 4k", "-c", "read -P 2 4k 8k", "-c", "read -P 0 12k 4k", s(top)).ok();
    }

    /** qemu-io's {@code write -s}: the file's bytes from its start, repeated when it is shorter than LEN. */
    @Test
    void writeDashSWritesAFilesBytesRepeated() throws Exception {
        byte[] src = new byte[1536];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) (i / 512 + 1);
        }
        Path file = java.nio.file.Files.write(dir.resolve("src.bin"), src);
        Ubd.Result w = Ubd.run("io", "-c", "write -s " + file + " 4k 2k", s(cow)).ok();
        assertEquals("wrote 2048/2048 bytes at offset 4096\n", w.out());
        Ubd.run("io", "-r", "-c", "read -P 1 4k 512", "-c", "read -P 2 4608 512", "-c", "read -P 3 5k 512",
                "-c", "read -P 1 5632 512", "-c", "read -P 0 6k 512", s(cow)).ok();

        Ubd.Result empty = Ubd.run("io", "-c", "write -s " + java.nio.file.Files.write(dir.resolve("empty"), new byte[0])
                + " 0 512", s(cow));
        assertEquals(2, empty.exit(), empty::toString);
        assertEquals("ubd: " + dir.resolve("empty") + ": is empty: write -s needs bytes to write\n", empty.err());
        Ubd.Result missing = Ubd.run("io", "-c", "write -s " + dir.resolve("none") + " 0 512", s(cow));
        assertEquals("ubd: " + dir.resolve("none") + ": cannot open: no such file\n", missing.err());
    }
}
