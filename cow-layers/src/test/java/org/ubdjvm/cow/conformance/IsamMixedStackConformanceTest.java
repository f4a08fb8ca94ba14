package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/** V3 over ISAM over V1 over raw, each upper layer holding sectors of its own, so a page can mix all four. */
class IsamMixedStackConformanceTest extends BlockImageConformance {
    @Override
    protected TestStack make(Path dir, IoEngine engine) throws IOException {
        return TestStack.patternedRaw(dir, engine, "base.raw", UmlCowLayers.SIZE)
                .over("low.v1.cow", UmlCowLayers.version(1))
                .write(s -> s % 5 == 3, "low")
                .over("middle.isam", IsamConformanceTest.ISAM)
                .write(s -> s % 3 == 1, "middle")
                .over("top.v3.cow", UmlCowLayers.version(3))
                .write(s -> s % 7 == 2, "top");
    }
}
