package org.ubdjvm.harness.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real program ubd is measured against (fio, qemu-img), found on PATH and run with its output kept. */
record PeerProgram(String name, Path path) {
    /** What one run printed. */
    record Output(String stdout, String stderr) {
    }

    /** The program, or an IOException saying which Debian package provides it. */
    static PeerProgram find(String name, String debianPackage) throws IOException {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return new PeerProgram(name, p);
            }
        }
        throw new IOException(name + " not found (install Debian package " + debianPackage + ")");
    }

    /** Runs the program with {@code args}, no input; a non-zero exit or a hang is an IOException naming it. */
    Output run(List<String> args, long timeoutSeconds) throws IOException {
        Path out = Files.createTempFile("ubd-bench-" + name, ".out");
        Path err = Files.createTempFile("ubd-bench-" + name, ".err");
        try {
            List<String> cmd = new java.util.ArrayList<>(List.of(path.toString()));
            cmd.addAll(args);
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                    throw new IOException(name + " did not finish within " + timeoutSeconds + " s");
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException(name + " interrupted", e);
            }
            Output o = new Output(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            if (p.exitValue() != 0) {
                throw new IOException(name + " exited " + p.exitValue() + ": " + firstLine(o.stderr().isBlank() ? o.stdout() : o.stderr()));
            }
            return o;
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static String firstLine(String text) {
        return text.strip().lines().findFirst().orElse("(no output)");
    }
}
