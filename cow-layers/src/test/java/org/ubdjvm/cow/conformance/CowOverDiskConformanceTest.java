package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/** Mixed stacks with the seed's formats: V3 over V2 over a HEADER, each layer holding sectors of its own. */
class CowOverDiskConformanceTest extends BlockImageConformance {
    @Override
    protected TestStack make(Path dir, IoEngine engine) throws IOException {
        return TestStack.zeroed(dir, engine, "disk.header", UmlCowLayers.SIZE, DiskLayers.header())
                .write(s -> s % 2 == 0, "header")
                .over("middle.v2.cow", UmlCowLayers.version(2))
                .write(s -> s % 3 == 1, "middle")
                .over("top.v3.cow", UmlCowLayers.version(3))
                .write(s -> s % 7 == 2, "top");
    }
}
