package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/**
 * A new UML COW V3 file over a patterned raw backing, every layer opened O_DIRECT: requests in whole file system
 * blocks, the bitmap written back as aligned read-modify-write of whole blocks, in a two-page cache so eviction
 * writes back on nearly every step.
 */
class UmlCowV3DirectConformanceTest extends BlockImageConformance {
    @Override
    protected TestStack make(Path dir, IoEngine engine) throws IOException {
        int block = (int) Math.max(512, Files.getFileStore(dir).getBlockSize());
        return TestStack.patternedRaw(dir, engine, "base.raw", UmlCowLayers.SIZE)
                .inSectorsOf(block)
                .over("top.v3.cow", UmlCowLayers.version(3))
                .openedBy((top, e, readOnly) -> FormatTable.standard().open(OpenSpec.of(top, e)
                        .withReadOnly(readOnly).withDirect(true)
                        .withMetadata(UmlCowLayers.TINY_CACHE.withPageSize(block))));
    }
}
