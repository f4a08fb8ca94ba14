package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/**
 * Three files of three formats: V3 over V2 over raw, each COW layer holding some sectors of its own, so a page can
 * take its sectors from all three.
 */
class MixedStackConformanceTest extends BlockImageConformance {
    @Override
    protected TestStack make(Path dir, IoEngine engine) throws IOException {
        return TestStack.patternedRaw(dir, engine, "base.raw", UmlCowLayers.SIZE)
                .over("middle.v2.cow", UmlCowLayers.version(2))
                .write(s -> s % 3 == 1, "middle")
                .over("top.v3.cow", UmlCowLayers.version(3))
                .write(s -> s % 7 == 2, "top");
    }
}
