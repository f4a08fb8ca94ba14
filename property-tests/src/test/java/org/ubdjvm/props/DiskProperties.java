package org.ubdjvm.props;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeTry;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.ActionChainArbitrary;
import net.jqwik.api.statistics.Statistics;

/**
 * Stateful properties of images on real files: every sequence of reads, writes, flushes, reopens, crash copies,
 * added layers and bad requests leaves the image reading exactly like the {@link DiskModel}, checked after every
 * step, and the files on disk exactly as the {@link StackModel} says. Tries come from {@code jqwik.tries.default}
 * (1000; 10000 with {@code -Dproperties=long}, which also lengthens the sequences).
 *
 * <p>The setup and the sequence are separate parameters, so jqwik shrinks each on its own; the sequence's start
 * state is made from the setup of the current try, which the property method records before running it.
 */
class DiskProperties {
    static final boolean LONG = "long".equals(System.getProperty("properties"));
    private static final long KIB = 1024;

    /** Trials not yet closed: a try that shrinking abandons at its time limit never reaches @AfterTry. */
    private final List<Trial> open = new ArrayList<>();
    private Trial trial;
    private DiskSetup setup;

    @BeforeTry
    void startTrial() throws IOException {
        trial = Trial.start();
        open.add(trial);
    }

    @AfterTry
    void endTrial() throws IOException {
        open.remove(trial);
        trial.close();
    }

    @AfterProperty
    void closeAbandonedTrials() throws IOException {
        try {
            for (Trial t : List.copyOf(open)) {
                open.remove(t);
                t.close();
            }
        } finally {
            EngineCloser.awaitAll();
        }
    }

    /** One format alone: raw, or V1, V2, V3, V3-old64 or ISAM over a raw backing; on any engine. */
    @Property
    void singleImageBehavesLikeAByteArray(@ForAll("singleImages") DiskSetup setup,
                                          @ForAll("singleImageSteps") ActionChain<DiskUnderTest> steps)
            throws IOException {
        run(setup, steps);
    }

    /** As {@link #singleImageBehavesLikeAByteArray}, each bitmap in a two-page cache: eviction on nearly every step. */
    @Property(tries = 200) // each dirty eviction is an fdatasync: a fifth of the tries keeps it to seconds
    void singleImageWithATinyBitmapCacheBehavesLikeAByteArray(@ForAll("tinyCacheImages") DiskSetup setup,
                                                             @ForAll("singleImageSteps") ActionChain<DiskUnderTest> steps)
            throws IOException {
        run(setup, steps);
    }

    @Provide
    Arbitrary<DiskSetup> tinyCacheImages() {
        return singleImages().map(DiskSetup::withTinyBitmapCache);
    }

    /** One to four COW layers of mixed versions over raw, layers added while the sequence runs; on any engine. */
    @Property
    void stackBehavesLikeAByteArray(@ForAll("stacks") DiskSetup setup,
                                    @ForAll("stackSteps") ActionChain<DiskUnderTest> steps) throws IOException {
        run(setup, steps);
    }

    /**
     * One to four COW layers over a raw base that qemu-nbd exports read-only, the first layer's backing its NBD
     * URI. Fewer tries than the others: each starts a server.
     */
    @Property(tries = 15)
    void stackOverAnNbdBaseBehavesLikeAByteArray(@ForAll("servedStacks") DiskSetup setup,
                                                @ForAll("stackSteps") ActionChain<DiskUnderTest> steps)
            throws IOException {
        run(setup, steps);
    }

    /** Whole 4 KiB sizes: qemu-nbd rounds an export's size up to 512 bytes, so odd ones would not match the file. */
    @Provide
    Arbitrary<DiskSetup> servedStacks() {
        // ISAM stores a file's name and mtime for its backing; it takes no protocol backing yet
        Arbitrary<LayerKind> overNbd = Arbitraries.of(LayerKind.COW).filter(k -> !k.isam());
        return Combinators.combine(alignedSizes(), overNbd, Arbitraries.of(ENGINES))
                .as((size, kind, engine) -> new DiskSetup(size, List.of(kind), engine, true));
    }

    /**
     * Every engine there is, or those {@code -Dprops.engines=a,b} names; a failure that does not depend on the
     * engine shrinks to the first (sync).
     */
    static final List<String> ENGINES = List.of(System.getProperty("props.engines", "sync,mmap,io_uring,aio")
            .split(","));

    @Provide
    Arbitrary<DiskSetup> singleImages() {
        Arbitrary<DiskSetup> raw = anySizes().map(size -> new DiskSetup(size, List.of()));
        Arbitrary<DiskSetup> v1v2 = Combinators.combine(Arbitraries.of(LayerKind.V1, LayerKind.V2), alignedSizes())
                .as((kind, size) -> new DiskSetup(size, List.of(kind)));
        Arbitrary<DiskSetup> v3 = Combinators.combine(Arbitraries.of(LayerKind.V3, LayerKind.V3_OLD64, LayerKind.ISAM),
                Arbitraries.oneOf(alignedSizes(), anySizes())).as((kind, size) -> new DiskSetup(size, List.of(kind)));
        // the seed's DISK and HEADER alone: the base's bytes behind a geometry header, in one file or beside it
        Arbitrary<DiskSetup> wrapped = Combinators.combine(Arbitraries.of(LayerKind.DISK, LayerKind.HEADER),
                alignedSizes()).as((kind, size) -> new DiskSetup(size, List.of(kind)));
        return onAnyEngine(Arbitraries.oneOf(v3, v1v2, raw, wrapped));
    }

    /**
     * Stacks with an ISAM layer in them from the start (ISAM alone, ISAM over V1, V3 over ISAM, V3 over ISAM over
     * V2), more layers of any kind added while the sequence runs; on any engine.
     */
    @Property
    void isamStackBehavesLikeAByteArray(@ForAll("isamStacks") DiskSetup setup,
                                        @ForAll("isamSteps") ActionChain<DiskUnderTest> steps) throws IOException {
        run(setup, steps);
    }

    @Provide
    Arbitrary<DiskSetup> isamStacks() {
        List<List<LayerKind>> shapes = List.of(List.of(LayerKind.ISAM), List.of(LayerKind.V1, LayerKind.ISAM),
                List.of(LayerKind.ISAM, LayerKind.V3), List.of(LayerKind.V2, LayerKind.ISAM, LayerKind.V3));
        // small disks and short sequences: 1000 tries in tens of seconds, beside the other properties
        Arbitrary<Long> sizes = Arbitraries.integers().between(16, 32).map(k -> k * 4 * KIB);
        return onAnyEngine(Combinators.combine(sizes, Arbitraries.of(shapes)).as((size, shape) -> new DiskSetup(size, shape)));
    }

    @Provide
    ActionChainArbitrary<DiskUnderTest> isamSteps() {
        return DiskActions.chain(() -> trial.newDisk(setup), true, LONG ? 40 : 15);
    }

    @Provide
    Arbitrary<DiskSetup> stacks() {
        Arbitrary<Long> sizes = Arbitraries.frequencyOf(Tuple.of(2, alignedSizes()), Tuple.of(1, anySizes()));
        // V1 and V2 cannot describe a disk whose size is not a multiple of 4096 (spec 4.2): V3 starts those
        // a third of the aligned bases are wrapped as DISK or HEADER: V3 over DISK, V2 over HEADER, ...
        Arbitrary<LayerKind> bases = Arbitraries.frequency(Tuple.of(4, LayerKind.RAW), Tuple.of(1, LayerKind.DISK),
                Tuple.of(1, LayerKind.HEADER));
        return onAnyEngine(Combinators.combine(sizes, Arbitraries.of(LayerKind.COW), bases).as((size, kind, base) -> {
            LayerKind first = size % 4096 != 0 && kind.needsAlignedSize() ? LayerKind.V3 : kind;
            return new DiskSetup(size, base == LayerKind.RAW || size % 4096 != 0 ? List.of(first) : List.of(base, first));
        }));
    }

    /** The same files on an engine drawn for the try: the tries spread over the engines, not multiplied by them. */
    static Arbitrary<DiskSetup> onAnyEngine(Arbitrary<DiskSetup> setups) {
        return Combinators.combine(setups, Arbitraries.of(ENGINES))
                .as((s, engine) -> new DiskSetup(s.baseSize(), s.layers(), engine));
    }

    @Provide
    ActionChainArbitrary<DiskUnderTest> singleImageSteps() {
        return DiskActions.chain(() -> trial.newDisk(setup), false, LONG ? 40 : 20);
    }

    @Provide
    ActionChainArbitrary<DiskUnderTest> stackSteps() {
        return DiskActions.chain(() -> trial.newDisk(setup), true, LONG ? 60 : 30);
    }

    /** 64 KiB to 256 KiB in whole 4 KiB: sizes every version can describe. */
    static Arbitrary<Long> alignedSizes() {
        return Arbitraries.integers().between(16, 64).map(k -> k * 4 * KIB);
    }

    /** Any byte count near those, odd ones included, and the 263780 bytes of the shared vectors' odd backing. */
    static Arbitrary<Long> anySizes() {
        return Arbitraries.longs().between(64 * KIB, 264 * KIB).edgeCases(c -> c.add(263_780L));
    }

    private void run(DiskSetup tried, ActionChain<DiskUnderTest> steps) throws IOException {
        setup = tried;
        DiskUnderTest end = steps.withInvariant("image reads like the model", DiskUnderTest::checkAgainstModel).run();
        end.closeAndCheckFiles();
        Statistics.label("COW layers at the end").collect(end.model().cowLayers());
        Statistics.label("engine").collect(tried.engine());
        Statistics.label("base").collect(end.model().layers().get(0).kind());
        Statistics.label("V3-old64 layers").collect(end.model().layers().stream()
                .filter(l -> l.kind() == LayerKind.V3_OLD64).count() > 0 ? "some" : "none");
        Statistics.label("ISAM layers").collect(end.model().layers().stream()
                .filter(l -> l.kind() == LayerKind.ISAM).count() > 0 ? "some" : "none");
        Statistics.label("reads across layers").collect(end.straddlingReads() > 0 ? "some" : "none");
        Statistics.label("discards").collect(end.discards() > 0 ? "some" : "none");
    }
}
