package org.ubdjvm.cow.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.ubdjvm.hostio.testing.CiRule;

/**
 * Real programs (uml_mkcow, uml_moo, linux.uml, qemu-img, fio) for interop tests. A missing one skips the test
 * locally with what to install, and fails it with CI=true ({@link CiRule}).
 */
public final class RealTools {
    private RealTools() {
    }

    /** The program's path, or skip/fail. */
    public static Path require(String program, String debianPackage) {
        return require(program, debianPackage, System.getenv());
    }

    /** {@link #require(String, String)} with the environment given, so the CI rule itself can be tested. */
    static Path require(String program, String debianPackage, Map<String, String> env) {
        Path found = find(program, env);
        String why = program + " not found on PATH (install the Debian package " + debianPackage
                + "; ./test.sh does)";
        if (found == null) {
            CiRule.skipOrFail(why, env);
        }
        return found;
    }

    public static Path find(String program) {
        return find(program, System.getenv());
    }

    private static Path find(String program, Map<String, String> env) {
        String path = env.getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin" + File.pathSeparator + "/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** What a finished program did. */
    public record Run(int exitCode, String stdout, String stderr) {
        public Run assertOk(String what) {
            if (exitCode != 0) {
                fail(what + " exited " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr);
            }
            return this;
        }
    }

    /** Runs a program in {@code dir} with no input and a timeout, capturing its output. */
    public static Run run(Path dir, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        return run(dir, timeoutSeconds, Map.of(), command);
    }

    /** {@link #run(Path, long, String...)} with {@code env} added to the environment. */
    public static Run run(Path dir, long timeoutSeconds, Map<String, String> env, String... command)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(command));
        Path out = Files.createTempFile("run-out", ".txt");
        Path err = Files.createTempFile("run-err", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail(String.join(" ", cmd) + " did not finish within " + timeoutSeconds + " s");
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
