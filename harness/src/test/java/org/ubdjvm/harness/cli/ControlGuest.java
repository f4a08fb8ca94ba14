package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/** A verifying random read/write guest ({@code ubd run} in this JVM) with a control socket, for control tests. */
final class ControlGuest {
    private ControlGuest() {
    }

    /**
     * Runs {@code ubd run ubd0=DIR/top0.cow,DIR/back.img --verify --control=SOCKET} (an 8 MiB patterned back, the top
     * made on open) for {@code runtime}; returns once the socket is there, with the run's result to come.
     */
    static CompletableFuture<Ubd.Result> start(Path dir, Path socket, String runtime) throws Exception {
        Path back = Ubd.patterned(dir.resolve("back.img"), 8 << 20);
        Path top = dir.resolve("top0.cow");
        CompletableFuture<Ubd.Result> run = CompletableFuture.supplyAsync(() -> Ubd.run("run",
                "ubd0=" + top + "," + back, "--rw=randrw", "--iodepth=16", "--threads=2", "--verify",
                "--runtime=" + runtime, "--control=" + socket));
        for (int i = 0; i < 400 && !Files.exists(socket) && !run.isDone(); i++) {
            Thread.sleep(25);
        }
        assertTrue(Files.exists(socket), () -> "no control socket; the run said: " + run.getNow(null));
        return run;
    }
}
