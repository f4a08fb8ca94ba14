package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/** A padded HEADER file over a raw data file, some sectors written through it before the checks. */
class HeaderConformanceTest extends BlockImageConformance {
    @Override
    protected TestStack make(Path dir, IoEngine engine) throws IOException {
        return TestStack.zeroed(dir, engine, "disk.header", UmlCowLayers.SIZE, DiskLayers.header("pad=on"))
                .write(s -> s % 3 != 0, "header");
    }
}
