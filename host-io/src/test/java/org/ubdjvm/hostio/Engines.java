package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;

/** Opens an engine for a test; skips the test only where the host forbids the engine (no such syscall, seccomp). */
final class Engines {
    private Engines() {
    }

    static IoEngine open(String name, int queueDepth) throws IOException {
        try {
            return IoEngines.select(name, queueDepth).engine();
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("ENOSYS") || m.contains("EPERM") || m.contains("x86_64 only")) {
                abort(m);
            }
            throw e;
        }
    }
}
