package org.ubdjvm.harness.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.ubdjvm.cow.Allocation;

/** The queries of NBD_OPT_LIST/SET_META_CONTEXT as the protocol reads them, and the statuses of a run. */
class MetaContextTest {
    @Test
    void listTakesWildcardsAndSetOnlyExactNames() {
        assertEquals(List.of(MetaContext.values()), MetaContext.list(List.of()));
        assertEquals(List.of(MetaContext.BASE_ALLOCATION), MetaContext.list(List.of("base:")));
        assertEquals(List.of(MetaContext.QEMU_ALLOCATION_DEPTH), MetaContext.list(List.of("qemu:", "x-foo:bar")));
        assertEquals(List.of(), MetaContext.select(List.of("base:", "qemu:"))); // a bare namespace selects nothing
        assertEquals(List.of(MetaContext.QEMU_ALLOCATION_DEPTH, MetaContext.BASE_ALLOCATION),
                MetaContext.select(List.of("qemu:allocation-depth", "base:allocation", "base:allocation")));
    }

    @Test
    void aRunNoLayerHoldsIsAHoleOfZerosAtDepthZero() {
        Allocation none = new Allocation(0, 512, Allocation.ZEROS);
        Allocation top = new Allocation(0, 512, 0);
        Allocation below = new Allocation(0, 512, 1);
        assertEquals(3, MetaContext.BASE_ALLOCATION.status(none));
        assertEquals(0, MetaContext.BASE_ALLOCATION.status(below));
        assertEquals(List.of(0, 1, 2), List.of(MetaContext.QEMU_ALLOCATION_DEPTH.status(none),
                MetaContext.QEMU_ALLOCATION_DEPTH.status(top), MetaContext.QEMU_ALLOCATION_DEPTH.status(below)));
    }
}
