package org.ubdjvm.hostio;

import java.io.IOException;

/** Mapped windows over files opened O_DIRECT: the mapping ignores the flag, the pread/pwrite fallback obeys it. */
class MmapDirectConformanceTest extends EngineConformanceTest {
    @Override
    IoEngine newEngine() throws IOException {
        return new MmapEngine(64 << 10);
    }

    @Override
    boolean direct() {
        return true;
    }
}
