package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ubd rebase} from the command line: off a middle layer onto the base, the disk reads the same. */
class RebaseTest {
    @TempDir
    Path dir;

    @Test
    void offTheMiddleOntoTheBase() throws Exception {
        Path back = Ubd.patterned(dir.resolve("back.img"), 1 << 20);
        Path mid = dir.resolve("mid.cow");
        Path top = dir.resolve("top.cow");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(mid)).ok();
        Ubd.run("io", "-c", "write -P 0x33 64k 64k", s(mid)).ok();
        Ubd.run("create", "-f", "cow", "-b", s(mid), s(top)).ok();
        Ubd.run("io", "-c", "write -P 0x44 96k 8k", s(top)).ok();
        Ubd.Result rebase = Ubd.run("rebase", "-b", s(back), s(top));
        assertEquals(0, rebase.exit(), rebase::toString);
        Files.delete(mid);
        Ubd.run("io", "-r", "-c", "read -P 0x33 64k 32k", "-c", "read -P 0x44 96k 8k", "-c", "read -P 0x33 104k 24k",
                s(top)).ok();
        Ubd.Result missing = Ubd.run("rebase", s(top));
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("-b"), missing::toString);
    }
}
