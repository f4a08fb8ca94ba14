package org.ubdjvm.hostio;

import java.io.IOException;
import org.ubdjvm.hostio.testing.Engines;

/** Linux AIO through raw syscalls. */
class AioEngineConformanceTest extends EngineConformanceTest {
    @Override
    IoEngine newEngine() throws IOException {
        return Engines.open("aio", 8); // shallow, so callers meet back-pressure and completions park
    }
}
