package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/** A new UML COW V3 file over a patterned raw backing, its bitmap held in a two-page cache of 16-byte pages. */
class UmlCowV3TinyCacheConformanceTest extends BlockImageConformance {
    @Override
    protected TestStack make(Path dir, IoEngine engine) throws IOException {
        return TestStack.patternedRaw(dir, engine, "base.raw", UmlCowLayers.SIZE)
                .over("top.v3.cow", UmlCowLayers.version(3))
                .openedBy(UmlCowLayers.TINY_CACHE_OPENER);
    }
}
