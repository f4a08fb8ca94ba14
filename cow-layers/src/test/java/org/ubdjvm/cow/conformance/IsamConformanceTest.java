package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.IsamFormat;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/** A new ISAM file (default unit: the sector size) over a patterned raw backing. */
class IsamConformanceTest extends BlockImageConformance {
    /** Made the way {@code ubd create -f isam -b BELOW FILE} makes it. */
    static final TestStack.LayerMaker ISAM = (file, below) ->
            FormatTable.standard().create(CreateSpec.of(file, IsamFormat.NAME).withBacking(below));

    @Override
    protected TestStack make(Path dir, IoEngine engine) throws IOException {
        return TestStack.patternedRaw(dir, engine, "base.raw", UmlCowLayers.SIZE).over("top.isam", ISAM);
    }
}
