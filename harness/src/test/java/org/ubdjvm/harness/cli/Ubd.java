package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.ubdjvm.hostio.IoEngine;

/** Runs the CLI in-process, as a user would from the shell, and keeps what it printed. */
final class Ubd {
    private Ubd() {
    }

    record Result(List<String> args, int exit, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }

        /** Exit 0 and nothing on stderr; returns this for chaining. */
        Result ok() {
            assertEquals(0, exit, this::toString);
            assertEquals("", err, this::toString);
            return this;
        }

        @Override
        public String toString() {
            return "ubd " + String.join(" ", args) + "\nexit " + exit + "\nstdout:\n" + out + "stderr:\n" + err;
        }
    }

    static Result run(String... args) {
        return runOver(UnaryOperator.identity(), args);
    }

    /** With the engine {@code ubd run} opens wrapped by {@code engineSeam} (a fault-injecting engine). */
    static Result runOver(UnaryOperator<IoEngine> engineSeam, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = UbdMain.run(args, new PrintWriter(out), new PrintWriter(err), engineSeam);
        return new Result(List.of(args), exit, out.toString(), err.toString());
    }

    /** A raw file where sector s holds the byte (s % 251) + 1 throughout, so any sector can be checked with -P. */
    static Path patterned(Path file, long size) throws IOException {
        byte[] b = new byte[(int) size];
        for (int i = 0; i < b.length; i++) {
            b[i] = sectorByte(i / 512);
        }
        return Files.write(file, b);
    }

    static byte sectorByte(long sector) {
        return (byte) (sector % 251 + 1);
    }

    static String s(Path p) {
        return p.toString();
    }
}
