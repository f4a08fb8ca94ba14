package org.ubdjvm.hostio;

import java.io.IOException;

/** The fallback engine, on files opened O_DIRECT. */
class SyncDirectConformanceTest extends EngineConformanceTest {
    @Override
    IoEngine newEngine() throws IOException {
        return new SyncEngine();
    }

    @Override
    boolean direct() {
        return true;
    }
}
