package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** L: a relative backing name stored as given opens from any working directory (a ubd of its own, started elsewhere). */
class RelativeBackingTest {
    @TempDir
    Path dir;

    @Test
    void aRelativeBackingNameOpensFromAnotherWorkingDirectory() throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path back = Ubd.patterned(images.resolve("back.img"), 256 * 1024);
        Path cow = images.resolve("rel.cow");
        // relative to the COW's directory, not to this JVM's: what is stored is "back.img"
        Ubd.run("create", "-f", "cow", "-o", "keep-name=on", "-b", "back.img", s(cow)).ok();
        assertTrue(Ubd.run("info", s(cow)).ok().out().contains("backing filename: back.img\n"));
        Path out = dir.resolve("out.img");
        Process p = UbdProcess.builder(List.of(), List.of(), "convert", "-O", "raw", s(cow), s(out))
                .directory(elsewhere.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        assertArrayEquals(Files.readAllBytes(back), Files.readAllBytes(out));
    }
}
