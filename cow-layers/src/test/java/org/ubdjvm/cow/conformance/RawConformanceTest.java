package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.RawFormat;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/** A raw file made by {@code ubd create -f raw} (reading zeros), with some sectors written before the checks. */
class RawConformanceTest extends BlockImageConformance {
    @Override
    protected TestStack make(Path dir, IoEngine engine) throws IOException {
        return TestStack.zeroed(dir, engine, "disk.raw", UmlCowLayers.SIZE, (file, below) -> FormatTable.standard()
                        .create(CreateSpec.of(file, RawFormat.NAME).withSize(UmlCowLayers.SIZE)))
                .write(s -> s % 5 != 0, "raw");
    }
}
