package org.ubdjvm.props;

import java.io.IOException;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;

/**
 * A request whose offset is aligned but so large that offset + length wraps past Long.MAX_VALUE lies past the end
 * of every disk, so it must fail with an ImageException like any other past-the-end request, on every format.
 * Exhaustive: every setup below with every overflowing request.
 */
class OverflowingRequestProperties {
    @Property(generation = GenerationMode.EXHAUSTIVE)
    void overflowingRequestIsRejected(@ForAll("setups") DiskSetup setup,
                                      @ForAll("overflowing") DiskAction request) throws IOException {
        try (Trial trial = Trial.start()) {
            DiskUnderTest disk = trial.newDisk(setup);
            request.applyTo(disk);
            disk.checkAgainstModel();
            disk.closeAndCheckFiles();
        }
    }

    @Provide
    Arbitrary<DiskSetup> setups() {
        return Arbitraries.of(
                new DiskSetup(64 * 1024, List.of()),
                new DiskSetup(64 * 1024, List.of(LayerKind.V1)),
                new DiskSetup(64 * 1024, List.of(LayerKind.V2)),
                new DiskSetup(263_780, List.of(LayerKind.V3)),
                new DiskSetup(263_780, List.of(LayerKind.V3_OLD64)),
                new DiskSetup(64 * 1024, List.of(LayerKind.V1, LayerKind.V2, LayerKind.V3, LayerKind.V3_OLD64)));
    }

    @Provide
    Arbitrary<DiskAction> overflowing() {
        return DiskActions.overflowingRequests();
    }
}
