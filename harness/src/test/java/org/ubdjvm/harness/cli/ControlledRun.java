package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/** A verifying random-write {@code ubd run} with a control socket, in this JVM: what the control tests drive. */
final class ControlledRun {
    private ControlledRun() {
    }

    /**
     * Starts {@code ubd run ubd0=DIR/top0.cow,DIR/back.img} (8 MiB, patterned) for {@code runtime} with
     * {@code --control=socket}, once the socket is there; the future is the run's result when it ends.
     */
    static CompletableFuture<Ubd.Result> start(Path dir, Path socket, String runtime) throws Exception {
        Path back = Ubd.patterned(dir.resolve("back.img"), 8 << 20);
        Path top = dir.resolve("top0.cow");
        CompletableFuture<Ubd.Result> run = CompletableFuture.supplyAsync(() -> Ubd.run("run",
                "ubd0=" + top + "," + back, "--rw=randrw", "--iodepth=16", "--threads=2", "--verify",
                "--runtime=" + runtime, "--control=" + socket));
        for (int i = 0; i < 200 && !Files.exists(socket); i++) {
            Thread.sleep(25);
        }
        assertTrue(Files.exists(socket), () -> "no control socket; the run said: " + run.getNow(null));
        return run;
    }
}
