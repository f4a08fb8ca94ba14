package org.ubdjvm.hostio.testing;

import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import org.ubdjvm.hostio.EngineUnavailableException;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;

/**
 * Opens an engine for a test; skips the test only where the host lacks or forbids the engine (by its typed reason:
 * no such syscall, seccomp, not x86_64), as a user's machine may. Shared by every module's engine tests.
 */
public final class Engines {
    private Engines() {
    }

    public static IoEngine open(String name, int queueDepth) throws IOException {
        try {
            return IoEngines.select(name, queueDepth).engine();
        } catch (EngineUnavailableException e) {
            if (e.reason() == EngineUnavailableException.Reason.UNSUPPORTED
                    || e.reason() == EngineUnavailableException.Reason.FORBIDDEN) {
                abort(e.getMessage());
            }
            throw e;
        }
    }
}
