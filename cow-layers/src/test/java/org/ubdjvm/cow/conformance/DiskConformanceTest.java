package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/** A DISK file (header, then the data) with some sectors written before the checks. */
class DiskConformanceTest extends BlockImageConformance {
    @Override
    protected TestStack make(Path dir, IoEngine engine) throws IOException {
        return TestStack.zeroed(dir, engine, "disk.disk", UmlCowLayers.SIZE, DiskLayers.disk())
                .write(s -> s % 5 != 0, "disk");
    }
}
