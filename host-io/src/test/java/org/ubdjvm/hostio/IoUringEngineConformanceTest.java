package org.ubdjvm.hostio;

import java.io.IOException;
import org.ubdjvm.hostio.testing.Engines;

/** io_uring through raw syscalls. */
class IoUringEngineConformanceTest extends EngineConformanceTest {
    @Override
    IoEngine newEngine() throws IOException {
        return Engines.open("io_uring", 8); // shallow, so callers meet back-pressure and completions park
    }
}
