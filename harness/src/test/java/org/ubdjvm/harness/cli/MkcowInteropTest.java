package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.cow.testing.RealTools;
import org.ubdjvm.cow.testing.SharedVectors;

/** {@code ubd create -f cow} and the real uml_mkcow make the same file, and each side reads the other's. */
class MkcowInteropTest {
    @TempDir
    Path dir;

    /** 256 KiB, an odd size with a partial last sector, and 1 MiB. */
    @ParameterizedTest(name = "backing of {0} bytes")
    @ValueSource(longs = {262_144, 263_780, 1_048_576})
    void createWritesExactlyWhatUmlMkcowWrites(long size) throws Exception {
        RealTools.require("uml_mkcow", "uml-utilities");
        Path back = Ubd.patterned(dir.resolve("back.img"), size);
        // both files name the same backing, made absolute the same way (cwd resolved), so they can be identical
        RealTools.run(dir, 30, "uml_mkcow", "mkcow.cow", "back.img").assertOk("uml_mkcow");
        Path ours = dir.resolve("ubd.cow");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(ours)).ok();

        byte[] theirs = Files.readAllBytes(dir.resolve("mkcow.cow"));
        byte[] mine = Files.readAllBytes(ours);
        assertEquals(theirs.length, mine.length, "file length");
        assertEquals(-1, Arrays.mismatch(theirs, mine), "first differing byte");
        assertEquals(SharedVectors.md5(dir.resolve("mkcow.cow")), SharedVectors.md5(ours));
    }

    @ParameterizedTest(name = "backing of {0} bytes")
    @ValueSource(longs = {262_144, 263_780, 1_048_576})
    void ubdReadsWhatUmlMkcowMade(long size) throws Exception {
        RealTools.require("uml_mkcow", "uml-utilities");
        Path back = Ubd.patterned(dir.resolve("back.img"), size);
        Path cow = dir.resolve("mkcow.cow");
        RealTools.run(dir, 30, "uml_mkcow", "mkcow.cow", "back.img").assertOk("uml_mkcow");

        String info = Ubd.run("info", s(cow)).ok().out();
        assertTrue(info.contains("format: cow\n"), info);
        assertTrue(info.contains("(" + size + " bytes)"), info);
        assertTrue(info.contains("backing filename: " + back.toRealPath() + "\n"), info);

        Ubd.run("io", "-r", "-c", "read -P 0x01 0 512", "-c", "read -P 0x02 512 512", s(cow)).ok();
        Path out = dir.resolve("out.img");
        Ubd.run("convert", "-O", "raw", s(cow), s(out)).ok();
        long capacity = (size + 511) / 512 * 512;
        assertEquals(SharedVectors.md5(Arrays.copyOf(Files.readAllBytes(back), (int) capacity)), SharedVectors.md5(out),
                "the disk is the backing, zero-padded to a whole sector");
    }
}
