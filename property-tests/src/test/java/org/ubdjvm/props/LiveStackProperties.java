package org.ubdjvm.props;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.statistics.Statistics;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceTable;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.props.ConcurrentDeviceProperties.Done;
import org.ubdjvm.props.ConcurrentDeviceProperties.Op;
import org.ubdjvm.queue.RingConfig;

/**
 * Live changes to a device's stack while guests use it: several guest threads submit through the ring (as the
 * driver does) while live actions (snapshots onto new tops of every format) happen at random moments of their run.
 * The model is {@link ConcurrentDeviceProperties}'s: every read returns, sector by sector, the value of a write that
 * could have taken effect before it completed and was not certainly overwritten before it began (concurrent writes
 * to one sector: either), else the initial zeros; a live action must not change what the guests see. After the
 * run: the device's stack is the chain the actions made, and that chain, reopened cold from its top file through a
 * fresh format table, reads exactly what the running device read last (a whole-disk read after every guest was done).
 */
class LiveStackProperties {
    /** How long a live action may wait for the ring's barrier before the try fails (the ring times requests out). */
    private static final Duration ACTION_WAIT = Duration.ofSeconds(20);

    /** The format and create options of a new top: the table's layer format (UML COW V3), V2, V1 or ISAM. */
    enum NewTop {
        DEFAULT(null, Map.of(), "cow v3"),
        V2("cow", Map.of("version", "2"), "cow v2"),
        V1("cow", Map.of("version", "1"), "cow v1"),
        ISAM("isam", Map.of(), "isam");

        final String format;
        final Map<String, String> options;
        /** What {@link #kind(ImageInfo)} says of a layer made so. */
        final String kind;

        NewTop(String format, Map<String, String> options, String kind) {
            this.format = format;
            this.options = options;
            this.kind = kind;
        }
    }

    /** A layer's file, format and header version, as its {@code info()} reports them. */
    static String kind(ImageInfo layer) {
        Object version = layer.formatSpecific() == null ? null : layer.formatSpecific().get("version");
        return layer.filename() + " (" + layer.format() + (version == null ? "" : " v" + version) + ")";
    }

    static List<String> kinds(ImageInfo top) {
        List<String> kinds = new ArrayList<>();
        for (ImageInfo layer = top; layer != null; layer = layer.backing()) {
            kinds.add(kind(layer));
        }
        return kinds;
    }

    /** The device and the layers of its stack as the actions made them, top first. */
    static final class LiveChain {
        final UbdDevice device;
        final Path dir;
        /** {@link #kind(ImageInfo)} of each layer, top first. */
        final List<String> layers = new ArrayList<>();
        private int made;
        /** The active top's file. */
        Path top;

        LiveChain(UbdDevice device, Path dir, Path top, NewTop kind, Path base) {
            this.device = device;
            this.dir = dir;
            this.made = 1;
            this.top = top;
            layers.add(top + " (" + kind.kind + ")");
            layers.add(base + " (raw)");
        }

        void madeTop(Path file, NewTop kind) {
            layers.add(0, file + " (" + kind.kind + ")");
            top = file;
        }

        /** A name no file of this try has. */
        Path newFile(String tag) {
            return dir.resolve("top" + ++made + "-" + tag + ".img");
        }
    }

    /** Something done to the running device once the guests' clock reaches {@code atTick} (or they are done). */
    sealed interface LiveAction permits Snapshot {
        int atTick();

        void apply(LiveChain chain) throws IOException;
    }

    /** A live snapshot onto a new top of {@code top}'s format: the old top joins the layers below. */
    record Snapshot(int atTick, NewTop top) implements LiveAction {
        @Override
        public void apply(LiveChain chain) throws IOException {
            Path file = chain.newFile(top.name().toLowerCase(java.util.Locale.ROOT));
            chain.device.snapshot(file, top.format, top.options, ACTION_WAIT);
            chain.madeTop(file, top);
        }

        @Override
        public String toString() {
            return "snapshot(" + top + ")@" + atTick;
        }
    }

    @Provide
    Arbitrary<List<LiveAction>> actions() {
        Arbitrary<LiveAction> snapshot = Combinators.combine(Arbitraries.integers().between(0, 40),
                Arbitraries.of(NewTop.class)).as(Snapshot::new);
        return snapshot.list().ofMinSize(1).ofMaxSize(3)
                .map(l -> l.stream().sorted(Comparator.comparingInt(LiveAction::atTick)).toList());
    }

    @Provide
    Arbitrary<List<List<Op>>> scripts() {
        return new ConcurrentDeviceProperties().scripts();
    }

    @Provide
    Arbitrary<String> engines() {
        return new ConcurrentDeviceProperties().engines();
    }

    // Tries: the module's setting (1000 in CI). Shrinking is bounded: a concurrent failure need not repeat on every
    // shrink step; the message always has the scripts, the actions and the timings.
    @Property(shrinking = ShrinkingMode.BOUNDED)
    void guestsSeeOnlyWhatTheModelAllowsAndTheChainReopensColdToTheLastRead(
            @ForAll("scripts") List<List<Op>> scripts, @ForAll("actions") List<LiveAction> actions,
            @ForAll NewTop first, @ForAll("engines") String engine) throws Exception {
        Path dir = scratch();
        String context = "scripts " + scripts + ", actions " + actions + ", first top " + first + ", engine " + engine;
        try {
            Path back = dir.resolve("back.img");
            Files.write(back, new byte[ConcurrentDeviceProperties.SECTORS * 512]); // write id 0 everywhere
            Path top = dir.resolve("top1-" + first.name().toLowerCase(java.util.Locale.ROOT) + ".img");
            FormatTable.standard().create(CreateSpec.of(top, first.format != null ? first.format
                    : FormatTable.standard().layerFormat().name()).withBacking(back).withOptions(first.options));
            List<Done> log;
            List<String> chain;
            Path topFile;
            try (IoEngine io = IoEngines.create(engine);
                 DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(io))
                         .withRing(RingConfig.of("ubd").withRequestTimeout(ACTION_WAIT)))) {
                LiveChain live = new LiveChain(table.add("ubd0=" + top), dir, top, first, back);
                List<Boolean> during = java.util.Collections.synchronizedList(new ArrayList<>());
                log = ConcurrentDeviceProperties.run(live.device, scripts, (clock, guestsDone) -> {
                    for (LiveAction a : actions) {
                        awaitTick(clock, a.atTick(), guestsDone);
                        during.add(!guestsDone.getAsBoolean());
                        a.apply(live);
                    }
                });
                // how often an action overlaps the guests' I/O, in the report: acting only after them tests nothing
                during.forEach(d -> Statistics.label("actions").collect(d ? "while the guests ran" : "after them"));
                ConcurrentDeviceProperties.check(log, context);
                assertEquals(live.layers, kinds(live.device.stack()), context + ": the running device's stack");
                chain = List.copyOf(live.layers);
                topFile = live.top;
            }
            assertColdChainReads(chain, topFile, log.get(log.size() - 1).seen(), context);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Until the guests' clock reaches {@code tick}; at once when they are all done (the clock stops then). */
    private static void awaitTick(AtomicLong clock, int tick, BooleanSupplier guestsDone) {
        while (clock.get() < tick && !guestsDone.getAsBoolean()) {
            Thread.onSpinWait();
        }
    }

    /** The chain opened from its top file by a fresh table, on another engine, reads {@code last} sector by sector. */
    private static void assertColdChainReads(List<String> chain, Path top, long[] last, String context)
            throws IOException {
        try (SyncEngine engine = new SyncEngine();
             BlockImage cold = FormatTable.standard().open(OpenSpec.of(top, engine).withReadOnly(true))) {
            assertEquals(chain, kinds(cold.info()), context + ": the chain reopened cold");
            ByteBuffer all = ByteBuffer.allocate(last.length * 512);
            BlockIo.read(cold, 0, all);
            long[] got = new long[last.length];
            for (int s = 0; s < last.length; s++) {
                got[s] = all.getLong(s * 512);
            }
            assertEquals(java.util.Arrays.toString(last), java.util.Arrays.toString(got),
                    context + ": write ids per sector, reopened cold vs the running device's last read");
        }
    }

    /** On tmpfs when there is one: a snapshot fsyncs the old top, and a thousand tries should not wait on a disk. */
    private static Path scratch() throws IOException {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "live-stack")
                : Files.createTempDirectory("live-stack");
    }
}
