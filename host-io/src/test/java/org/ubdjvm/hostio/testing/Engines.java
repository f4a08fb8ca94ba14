package org.ubdjvm.hostio.testing;

import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;

/**
 * Opens an engine for a test; skips the test only where the host forbids the engine (no such syscall, seccomp, not
 * x86_64), as a user's machine may. Shared by every module's engine-parameterised tests.
 */
public final class Engines {
    private Engines() {
    }

    public static IoEngine open(String name, int queueDepth) throws IOException {
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
