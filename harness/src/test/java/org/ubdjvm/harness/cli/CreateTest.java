package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CreateTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} -> {1} bytes")
    @CsvSource({"512, 512", "1000, 1024", "1, 512", "64k, 65536", "4M, 4194304", "1G, 1073741824", "3m, 3145728"})
    void rawSizeTakesSuffixesAndRoundsUpToASector(String size, long bytes) throws Exception {
        Path img = dir.resolve("disk.img");
        Ubd.run("create", "-f", "raw", s(img), size).ok();
        assertEquals(bytes, Files.size(img));
    }

    @Test
    void obsoleteVersionsWarnOnStderrAndStillWork() {
        Path back = dir.resolve("back.img");
        Ubd.run("create", s(back), "1M").ok();
        for (int v = 1; v <= 2; v++) {
            Path cow = dir.resolve(v + ".cow");
            Ubd.Result r = Ubd.run("create", "-f", "cow", "-o", "version=" + v, "-b", s(back), s(cow));
            assertEquals(0, r.exit(), r::toString);
            assertEquals(1, r.errLines().size(), r::toString);
            assertTrue(r.err().startsWith("ubd: warning: UML COW V" + v + " is obsolete"), r::toString);
            assertTrue(Ubd.run("info", s(cow)).ok().out().contains("    layout: V" + v + "\n"));
        }
    }

    @Test
    void sizeAndBackingDoNotMix() {
        Path back = dir.resolve("back.img");
        Ubd.run("create", s(back), "1M").ok();
        Ubd.Result withSize = Ubd.run("create", "-f", "cow", "-b", s(back), s(dir.resolve("a.cow")), "1M");
        Ubd.Result withoutEither = Ubd.run("create", "-f", "raw", s(dir.resolve("b.img")));
        assertEquals(2, withSize.exit(), withSize::toString);
        assertEquals(2, withoutEither.exit(), withoutEither::toString);
        assertFalse(Files.exists(dir.resolve("a.cow")));
        assertFalse(Files.exists(dir.resolve("b.img")));
    }

    /** The options come from the format's own declaration; the CLI knows none of them. */
    @Test
    void dashOHelpListsTheOptionsTheFormatDeclares() {
        Ubd.Result cow = Ubd.run("create", "-f", "cow", "-o", "help").ok();
        assertTrue(cow.out().startsWith("Supported options of format cow:\n"), cow::toString);
        assertTrue(cow.out().contains("  version=         <number> header version: 1 or 2 (obsolete, warned), 3; 4 = V3"
                        + " with cow_format isam (the seed's V4) (default: 3)"),
                cow::toString);
        assertTrue(cow.out().contains("  old64=           <bool>   V3-old64"), cow::toString);
        assertEquals("Supported options of format raw: none\n", Ubd.run("create", "-f", "raw", "-o", "help").ok().out());
    }

    @Test
    void theV3Old64LayoutIsCreatedWithItsOneName() {
        Path back = dir.resolve("back.img");
        Ubd.run("create", s(back), "1M").ok();
        Path cow = dir.resolve("old.cow");
        Ubd.Result r = Ubd.run("create", "-f", "cow", "-o", "old64=on", "-b", s(back), s(cow));
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.err().startsWith("ubd: warning: UML COW V3-old64 is obsolete"), r::toString);
        Ubd.Result info = Ubd.run("info", s(cow));
        assertTrue(info.out().contains("    layout: V3-old64\n"), info::toString);
        assertTrue(info.err().contains("broken V3 file with 64-bit layout"), "the kernel's own words: " + info);
    }
}
