package org.ubdjvm.hostio.testing;

import java.io.IOException;
import java.nio.file.Path;

/** Named pipes made by the real {@code mkfifo}, for tests that a FIFO is refused rather than waited on. */
public final class Fifos {
    private Fifos() {
    }

    /** Makes a FIFO at {@code p}; skips the test (fails under CI=true) when mkfifo is missing or fails. */
    public static Path mkfifo(Path p) throws IOException, InterruptedException {
        Process mk;
        try {
            mk = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            CiRule.skipOrFail("mkfifo is not installed: " + e.getMessage());
            throw e;
        }
        if (mk.waitFor() != 0) {
            CiRule.skipOrFail("mkfifo " + p + " failed: " + new String(mk.getInputStream().readAllBytes()));
        }
        return p;
    }
}
