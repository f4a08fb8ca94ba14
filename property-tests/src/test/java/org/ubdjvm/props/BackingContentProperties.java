package org.ubdjvm.props;

import java.io.IOException;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.LongRange;

/**
 * What a guest wrote into a raw disk is data, also after a COW layer is put over that disk. The kernel opens a
 * backing file as raw, always; an implementation that probes the layer below for a format lets guest bytes decide
 * how the host opens files: the stack fails to open, or, given a valid header, the guest reads another host file.
 */
class BackingContentProperties {
    private static final long SIZE = 64 * 1024;

    /** Magic and version, then noise: the kernel reads such a backing as raw; the stack must open. */
    @Property(tries = 100)
    void headerLikeGuestBytesInARawBaseStayData(@ForAll("noisyHeaders") GuestHeader header,
                                                @ForAll("cowKinds") LayerKind layer)
            throws IOException {
        putLayerOverGuestBytes(header, layer);
    }

    /** A complete header naming another host file: reads must still return what the guest wrote, not that file. */
    @Property(tries = 30)
    void validHeaderInARawBaseDoesNotRedirectReads(@ForAll @LongRange(min = 1, max = 1000) long seed,
                                                   @ForAll("cowKinds") LayerKind layer)
            throws IOException {
        putLayerOverGuestBytes(new GuestHeader(GuestHeader.Kind.VALID_V3_NAMING_ANOTHER_FILE, 3, seed), layer);
    }

    @Provide
    Arbitrary<LayerKind> cowKinds() {
        return Arbitraries.of(LayerKind.COW);
    }

    @Provide
    Arbitrary<GuestHeader> noisyHeaders() {
        return Combinators.combine(
                Arbitraries.of(GuestHeader.Kind.MAGIC_LITTLE_ENDIAN, GuestHeader.Kind.MAGIC_BIG_ENDIAN),
                Arbitraries.integers().between(1, 3), Arbitraries.longs().between(1, 1000)).as(GuestHeader::new);
    }

    /** The guest writes at offset 0 of a raw disk; then a COW layer goes over it and the stack is reopened. */
    private static void putLayerOverGuestBytes(GuestHeader header, LayerKind layer) throws IOException {
        try (Trial trial = Trial.start()) {
            DiskUnderTest disk = trial.newDisk(new DiskSetup(SIZE, List.of()));
            disk.write(0, header.bytes(disk.model().top().file(), SIZE), 0);
            disk.addLayer(layer);
            disk.checkAgainstModel();
            disk.closeAndCheckFiles();
        }
    }
}
