package org.ubdjvm.props;

import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.ActionChainArbitrary;
import net.jqwik.api.state.ChangeDetector;
import org.ubdjvm.props.DiskAction.BadRequest;
import org.ubdjvm.props.DiskUnderTest.Op;

/**
 * The generators of {@link DiskAction}s for a disk of a known number of sectors, and the chains built from them.
 *
 * <p>Every action is independent of the state and has no precondition: jqwik can then drop a step from the middle
 * of a failing sequence and keep the steps after it, which is what makes failures shrink to a few steps. Steps
 * that need the state (a read across a layer boundary, adding a layer at the limit) look at it when they run.
 */
final class DiskActions {
    /** Reads and writes up to 72 sectors: past the 64-sector request limit the kernel has with a COW file. */
    private static final int MAX_SECTORS = 72;
    private static final int SECTOR = SectorData.SECTOR;

    private DiskActions() {
    }

    /**
     * Sequences on any disk of at least {@link DiskSetup#MIN_SECTORS} sectors that {@code start} supplies; with
     * {@code stacking}, layers are added on the way.
     */
    static ActionChainArbitrary<DiskUnderTest> chain(Supplier<DiskUnderTest> start, boolean stacking, int maxSteps) {
        ActionChainArbitrary<DiskUnderTest> chain = ActionChain.<DiskUnderTest>startWith(start)
                .withAction(6, action(writes()))
                .withAction(3, action(reads()))
                .withAction(2, action(discards()))
                .withAction(3, action(readsAcrossLayers()))
                .withAction(1, action(Arbitraries.just(DiskAction.Plain.FLUSH)))
                .withAction(2, action(Arbitraries.of(DiskUnderTest.Access.class).map(DiskAction.Reopen::new)))
                .withAction(1, action(Arbitraries.just(DiskAction.Plain.CRASH_COPY)))
                .withAction(2, action(badRequests()))
                .withAction(1, action(emptyRequests()));
        if (stacking) {
            chain = chain.withAction(2, action(Arbitraries.of(LayerKind.COW).map(DiskAction.AddLayer::new)));
        }
        return chain.withMaxTransformations(maxSteps).improveShrinkingWith(StepChanges::new);
    }

    static Arbitrary<DiskAction> writes() {
        Arbitrary<Long> seeds = Arbitraries.longs().between(1, 1_000_000);
        return Combinators.combine(places(), counts(), seeds, pads())
                .as((at, n, seed, pad) -> new DiskAction.Write(at, fit(at, n), seed, pad));
    }

    static Arbitrary<DiskAction> discards() {
        return Combinators.combine(places(), counts()).as((at, n) -> new DiskAction.Discard(at, fit(at, n)));
    }

    static Arbitrary<DiskAction> reads() {
        return Combinators.combine(places(), counts(), pads())
                .as((at, n, pad) -> new DiskAction.Read(at, fit(at, n), pad));
    }

    /**
     * Reads that start in one layer's run of sectors and end in another's: the case the 6.1 kernel gets wrong (it
     * advances the buffer by the last run only). Which boundary is chosen when the step runs.
     */
    static Arbitrary<DiskAction> readsAcrossLayers() {
        Arbitrary<Integer> side = Arbitraries.integers().between(1, 9);
        return Combinators.combine(Arbitraries.integers().between(0, 63), side, side).as(DiskAction.ReadAcross::new);
    }

    /** Requests that break the contract one way each; all must fail with ImageException and change nothing. */
    static Arbitrary<DiskAction> badRequests() {
        Arbitrary<Op> ops = Arbitraries.of(Op.class);
        Arbitrary<Integer> small = Arbitraries.integers().between(1, 16);
        Arbitrary<Integer> skew = Arbitraries.integers().between(1, SECTOR - 1);
        Arbitrary<DiskAction> unalignedOffset = Combinators.combine(ops, places(), small, skew).as(
                (op, at, n, d) -> new BadRequest(op, at, fit(at, n), d, 0, "offset not sector-aligned"));
        Arbitrary<DiskAction> unalignedLength = Combinators.combine(ops, places(), skew).as(
                (op, at, d) -> new BadRequest(op, at, 0, 0, d, "length not a multiple of 512"));
        Arbitrary<DiskAction> pastEnd = Combinators.combine(ops, small, Arbitraries.integers().between(1, 3)).as(
                (op, n, over) -> new BadRequest(op, At.end(-over), n, 0, 0, "ends past the end"));
        Arbitrary<DiskAction> negative = Combinators.combine(ops, Arbitraries.integers().between(1, 4)).as(
                (op, k) -> new BadRequest(op, At.start(-k), 1, 0, 0, "negative offset"));
        return Arbitraries.oneOf(unalignedOffset, unalignedLength, pastEnd, negative);
    }

    /**
     * Aligned offsets so large that offset + length wraps to a negative long: a range check written as
     * {@code offset + length > capacity} lets them through. Kept out of {@link #badRequests} so that, while this
     * fails, the sequences still look for other bugs; {@code OverflowingRequestProperties} checks it alone.
     */
    static Arbitrary<DiskAction> overflowingRequests() {
        long lastSector = Long.MAX_VALUE / SECTOR;
        return Combinators.combine(Arbitraries.of(Op.class), Arbitraries.integers().between(0, 3)).as(
                (op, k) -> new BadRequest(op, At.start(lastSector - k), k + 1, 0, 0, "offset + length overflows a long"));
    }

    /** Zero-length requests anywhere from sector 0 to the very end of the disk. */
    static Arbitrary<DiskAction> emptyRequests() {
        Arbitrary<At> anywhere = Arbitraries.oneOf(places(), Arbitraries.just(At.end(0)));
        return Combinators.combine(Arbitraries.of(Op.class), anywhere).as(DiskAction.EmptyRequest::new);
    }

    /** The first and last {@link DiskSetup#MIN_SECTORS} sectors of any disk (the tail is where odd sizes end). */
    private static Arbitrary<At> places() {
        Arbitrary<Long> k = Arbitraries.longs().between(0, DiskSetup.MIN_SECTORS - 1);
        return Arbitraries.frequencyOf(Tuple.of(3, k.map(At::start)), Tuple.of(1, k.map(At::end)));
    }

    private static Arbitrary<Integer> counts() {
        return Arbitraries.integers().between(1, MAX_SECTORS).edgeCases(c -> c.add(8).add(64));
    }

    /** Where the request's bytes start in the caller's buffer: mostly 0, sometimes not, which must not matter. */
    private static Arbitrary<Integer> pads() {
        return Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(0)), Tuple.of(1, Arbitraries.of(1, 511, 4096)));
    }

    /** At most {@code count} sectors, so a request at {@code at} stays on the smallest disk. */
    private static int fit(At at, int count) {
        return (int) Math.min(count, DiskSetup.MIN_SECTORS - at.sector());
    }

    private static Action<DiskUnderTest> action(Arbitrary<? extends DiskAction> actions) {
        return (Action.Independent<DiskUnderTest>) () -> actions.map(DiskAction::transformer);
    }

    /** Tells jqwik's shrinker which steps left the disk as it was (reads, refused requests, crash copies). */
    private static final class StepChanges implements ChangeDetector<DiskUnderTest> {
        private long before;

        @Override
        public void before(DiskUnderTest disk) {
            before = disk.changes();
        }

        @Override
        public boolean hasChanged(DiskUnderTest disk) {
            return disk.changes() != before;
        }
    }
}
