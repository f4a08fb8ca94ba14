package org.ubdjvm.hostio;

import java.io.IOException;
import org.ubdjvm.hostio.testing.Engines;

/** Linux AIO on files opened O_DIRECT, the one mode in which it is truly asynchronous. */
class AioDirectConformanceTest extends EngineConformanceTest {
    @Override
    IoEngine newEngine() throws IOException {
        return Engines.open("aio", 8);
    }

    @Override
    boolean direct() {
        return true;
    }
}
