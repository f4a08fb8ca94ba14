package org.ubdjvm.hostio.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Another program holding a POSIX lock, as UML and qemu take them: python3's {@code fcntl.lockf} (F_SETLK) on the
 * whole file. Close kills it, so no test leaves a holder behind. Without python3 the test skips (fails with CI=true).
 */
public final class FcntlHolder implements AutoCloseable {
    private static final String HOLD = "import fcntl,sys,time\n"
            + "w = sys.argv[2] == 'w'\n"
            + "f = open(sys.argv[1], 'r+' if w else 'r')\n"
            + "fcntl.lockf(f, fcntl.LOCK_EX if w else fcntl.LOCK_SH)\n"
            + "print('locked', flush=True)\n"
            + "time.sleep(120)\n";
    private static final String TRY = "import fcntl,sys\n"
            + "w = sys.argv[2] == 'w'\n"
            + "f = open(sys.argv[1], 'r+' if w else 'r')\n"
            + "try:\n"
            + "    fcntl.lockf(f, (fcntl.LOCK_EX if w else fcntl.LOCK_SH) | fcntl.LOCK_NB)\n"
            + "except OSError:\n"
            + "    sys.exit(1)\n";

    private final Process process;

    private FcntlHolder(Process process) {
        this.process = process;
    }

    public long pid() {
        return process.pid();
    }

    /** Starts a python3 that takes a write ({@code write}) or read lock on {@code file} and waits until it has it. */
    public static FcntlHolder hold(Path file, boolean write) throws IOException, InterruptedException {
        Path out = Files.createTempFile("fcntl-holder", ".out");
        Process p = start(HOLD, file, write).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        FcntlHolder holder = new FcntlHolder(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try {
            while (!Files.readString(out).contains("locked")) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    holder.close();
                    throw new AssertionError("python3 did not take the lock on " + file + ":\n" + Files.readString(out));
                }
                Thread.sleep(10);
            }
            return holder;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Whether another process could take the lock on {@code file} right now (python3's lockf with LOCK_NB). */
    public static boolean anotherProcessCouldLock(Path file, boolean write) throws IOException, InterruptedException {
        Process p = start(TRY, file, write).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("python3 lockf did not answer within 10 s");
        }
        return p.exitValue() == 0;
    }

    private static ProcessBuilder start(String script, Path file, boolean write) {
        String python = python3();
        return new ProcessBuilder(List.of(python, "-c", script, file.toString(), write ? "w" : "r"))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    }

    private static String python3() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "python3");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        CiRule.skipOrFail("python3 not found on PATH (install the Debian package python3; ./test.sh does)");
        throw new AssertionError("unreachable");
    }

    @Override
    public void close() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly); // in case python3 is a wrapper that forked
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
