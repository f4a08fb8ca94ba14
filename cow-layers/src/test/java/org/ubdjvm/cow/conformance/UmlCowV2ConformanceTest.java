package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/** A new UML COW V2 file over a patterned raw backing. */
class UmlCowV2ConformanceTest extends BlockImageConformance {
    @Override
    protected TestStack make(Path dir, IoEngine engine) throws IOException {
        return TestStack.patternedRaw(dir, engine, "base.raw", UmlCowLayers.SIZE)
                .over("top.v2.cow", UmlCowLayers.version(2));
    }
}
