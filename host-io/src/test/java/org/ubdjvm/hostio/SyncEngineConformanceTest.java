package org.ubdjvm.hostio;

import java.io.IOException;

/** The fallback engine. */
class SyncEngineConformanceTest extends EngineConformanceTest {
    @Override
    IoEngine newEngine() throws IOException {
        return new SyncEngine();
    }
}
