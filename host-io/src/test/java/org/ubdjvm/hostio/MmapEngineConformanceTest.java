package org.ubdjvm.hostio;

import java.io.IOException;

/** Mapped windows, small enough that requests span several. */
class MmapEngineConformanceTest extends EngineConformanceTest {
    @Override
    IoEngine newEngine() throws IOException {
        return new MmapEngine(64 << 10); // small windows: requests cross windows and files outgrow them
    }
}
