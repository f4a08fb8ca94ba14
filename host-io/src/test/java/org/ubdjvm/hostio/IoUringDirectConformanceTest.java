package org.ubdjvm.hostio;

import java.io.IOException;
import org.ubdjvm.hostio.testing.Engines;

/** io_uring on files opened O_DIRECT: the kernel reads and writes the aligned buffers in place. */
class IoUringDirectConformanceTest extends EngineConformanceTest {
    @Override
    IoEngine newEngine() throws IOException {
        return Engines.open("io_uring", 8);
    }

    @Override
    boolean direct() {
        return true;
    }
}
