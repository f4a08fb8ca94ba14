package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.RealTools;

/** The progress bar: on stderr when it is a terminal (a pty from {@code script}), never into a pipe or JSON. */
class ProgressTest {
    @TempDir
    Path dir;

    private Path trace() throws Exception {
        StringBuilder t = new StringBuilder("fio version 3 iolog\n0 ubd0 add\n0 ubd0 open\n");
        for (int i = 0; i < 2000; i++) {
            t.append(i).append(" ubd0 write ").append(i % 256 * 4096).append(" 4096\n");
        }
        return Files.writeString(dir.resolve("t.log"), t);
    }

    /** Runs ubd in a JVM of its own, under {@code script} (stdout and stderr on a pty) when asked. */
    private String run(boolean terminal, String... args) throws Exception {
        List<String> ubd = UbdProcess.builder(List.of(), List.of(), args).command();
        List<String> command = new ArrayList<>();
        if (terminal) {
            StringBuilder quoted = new StringBuilder();
            ubd.forEach(a -> quoted.append(" '").append(a.replace("'", "'\\''")).append("'"));
            command.addAll(List.of(RealTools.require("script", "bsdutils").toString(), "-qec", quoted.toString(),
                    "/dev/null"));
        } else {
            command.addAll(ubd);
        }
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(!terminal).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // stderr too
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void replayDrawsABarOnATerminalAndNowhereElse() throws Exception {
        Path log = trace();
        Path disk = Files.write(dir.resolve("d.img"), new byte[1 << 20]);
        String dev = "ubd0d=" + disk;
        String terminal = run(true, "replay", log.toString(), dev, "--as-fast-as-possible");
        assertTrue(terminal.contains("replay 100%"), terminal);
        assertTrue(terminal.contains("2000/2000"), terminal);
        assertTrue(terminal.contains("requests: 0 reads, 2000 writes"), terminal);

        String json = run(true, "replay", log.toString(), dev, "--as-fast-as-possible", "--output=json");
        assertFalse(json.contains("replay "), "no bar into JSON: " + json);
        assertTrue(json.strip().startsWith("{"), json);

        String piped = run(false, "replay", log.toString(), dev, "--as-fast-as-possible");
        assertFalse(piped.contains("%"), "no bar into a pipe: " + piped);
        assertTrue(piped.startsWith("ubda: "), piped);
    }
}
