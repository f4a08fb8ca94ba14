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
import org.ubdjvm.driver.CommitJob;
import org.ubdjvm.driver.CommitRequest;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.JobOutcome;
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

    /**
     * The device and the layers of its stack as the actions made them, top first, with the commit job running, if
     * any: its effect on the chain is known only once it ends ({@link #settle}).
     */
    static final class LiveChain {
        final UbdDevice device;
        final Path dir;
        /** {@link #kind(ImageInfo)} of each layer, top first. */
        final List<String> layers = new ArrayList<>();
        /** The file of each layer, top first. */
        final List<Path> files = new ArrayList<>();
        private int made;
        /** What each action came to, for the report. */
        final List<String> outcomes = java.util.Collections.synchronizedList(new ArrayList<>());
        private CommitJob job;
        /** The running job's top and base, as indexes into {@link #files} when it started. */
        private int jobTop;
        private int jobBase;

        LiveChain(UbdDevice device, Path dir, Path base) {
            this.device = device;
            this.dir = dir;
            this.made = 1;
            add(base, "raw");
        }

        /** A new top over the chain. */
        void add(Path file, String kind) {
            layers.add(0, file + " (" + kind + ")");
            files.add(0, file);
        }

        void madeTop(Path file, NewTop kind) {
            settle(true); // the device took a snapshot: the job has ended (its outcome may be a moment behind)
            add(file, kind.kind);
        }

        Path top() {
            return files.get(0);
        }

        /** A name no file of this try has. */
        Path newFile(String tag) {
            return dir.resolve("top" + ++made + "-" + tag + ".img");
        }

        /** Whether a commit job was started and has not ended. */
        boolean jobRunning() {
            return job != null && !job.progress().state().ended();
        }

        void started(CommitJob started, int top, int base) {
            settle(true); // the device started a job: the last one has ended
            job = started;
            jobTop = top;
            jobBase = base;
        }

        /**
         * Applies the last job's outcome once it has ended (waiting for the end when {@code await}, else only if it
         * has): completed, the layers from its top down to just above its base leave the chain; cancelled, nothing
         * changes. A failure fails the try. Called before any other change, so changes apply in the device's order.
         */
        void settle(boolean await) {
            if (job == null || !await && !job.progress().state().ended()) {
                return;
            }
            JobOutcome end = job.await(ACTION_WAIT);
            if (!end.state().ended()) {
                throw new AssertionError(job.id() + " still running " + ACTION_WAIT.toSeconds() + " s after the"
                        + " device took a later action (or the run ended)");
            }
            switch (end.state()) {
                case COMPLETED -> {
                    outcomes.add("commit completed");
                    layers.subList(jobTop, jobBase).clear();
                    files.subList(jobTop, jobBase).clear();
                }
                case CANCELLED -> outcomes.add("commit cancelled");
                default -> throw new AssertionError(job.id() + " " + end.state().label() + ": " + end.reason());
            }
            job = null;
        }
    }

    /** Something done to the running device once the guests' clock reaches {@code atTick} (or they are done). */
    sealed interface LiveAction permits Snapshot, Commit {
        int atTick();

        void apply(LiveChain chain) throws IOException;
    }

    /**
     * A live snapshot onto a new top of {@code top}'s format: the old top joins the layers below. Refused while a
     * commit job runs on the device (the chain is then unchanged).
     */
    record Snapshot(int atTick, NewTop top) implements LiveAction {
        @Override
        public void apply(LiveChain chain) throws IOException {
            Path file = chain.newFile(top.name().toLowerCase(java.util.Locale.ROOT));
            boolean jobBefore = chain.jobRunning();
            try {
                chain.device.snapshot(file, top.format, top.options, ACTION_WAIT);
            } catch (IOException e) {
                if (jobBefore && e.getMessage().contains("is running")) {
                    chain.outcomes.add("snapshot refused: a job runs");
                    return;
                }
                throw e;
            }
            chain.madeTop(file, top);
            chain.outcomes.add("snapshot made");
        }

        @Override
        public String toString() {
            return "snapshot(" + top + ")@" + atTick;
        }
    }

    /**
     * A background commit of the layers from the {@code topPick}-th below the active top down into the
     * {@code basePick}-th below that (both wrapped to the chain; 0, 0: the request's defaults, the layer just below the
     * active top into the bottom), cancelled at once when {@code cancel}. The guests go on meanwhile; the job ends when
     * it ends (a later action, or the end of the run, settles it). Refused, the chain unchanged, while another job
     * runs or when there is nothing below the active top but the bottom.
     */
    record Commit(int atTick, int topPick, int basePick, boolean cancel) implements LiveAction {
        @Override
        public void apply(LiveChain chain) throws IOException {
            boolean jobBefore = chain.jobRunning();
            chain.settle(false);
            int n = chain.files.size();
            boolean defaults = topPick == 0 && basePick == 0;
            int top = defaults || n < 3 ? 1 : 1 + topPick % (n - 2); // the active top (0) is never merged
            int base = defaults || n < 3 ? n - 1 : top + 1 + basePick % (n - 1 - top);
            CommitRequest request = defaults ? CommitRequest.defaults()
                    : CommitRequest.defaults().withTop(chain.files.get(top)).withBase(chain.files.get(base));
            CommitJob job;
            try {
                job = chain.device.commit(request);
            } catch (IOException e) {
                // refused while a job runs, with nothing to merge, when a layer whose backing the commit must
                // rewrite cannot record one (ISAM), or cannot record the base's name and new mtime at once (V2)
                if (jobBefore || n < 3 || e.getMessage().contains("cannot record a new backing file")
                        || v2Header(chain, top - 1) && e.getMessage().contains("refused before copying")) {
                    chain.outcomes.add("commit refused");
                    return;
                }
                throw e;
            }
            if (v2Header(chain, top - 1)) {
                throw new AssertionError("a commit that must rename the V2 layer " + chain.files.get(top - 1)
                        + " was not refused up front");
            }
            chain.started(job, top, base);
            if (cancel) {
                job.cancel();
            }
        }

        private static boolean v2Header(LiveChain chain, int depth) {
            return chain.layers.get(depth).endsWith("(cow v2)"); // V1 keeps its 256-byte name and mtime in sector 0
        }

        @Override
        public String toString() {
            return "commit(" + topPick + "," + basePick + (cancel ? ",cancel" : "") + ")@" + atTick;
        }
    }

    @Provide
    Arbitrary<List<LiveAction>> actions() {
        Arbitrary<Integer> tick = Arbitraries.integers().between(0, 40);
        Arbitrary<LiveAction> snapshot = Combinators.combine(tick, newTops()).as(Snapshot::new);
        Arbitrary<LiveAction> commit = Combinators.combine(tick, Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 4).map(c -> c == 0))
                .as(Commit::new);
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, snapshot), net.jqwik.api.Tuple.of(2, commit))
                .list().ofMinSize(1).ofMaxSize(4)
                .map(l -> l.stream().sorted(Comparator.comparingInt(LiveAction::atTick)).toList());
    }

    /** Mostly the default (V3), whose header a commit can rewrite; V2, V1 and ISAM now and then. */
    @Provide
    Arbitrary<NewTop> newTops() {
        return Arbitraries.frequency(net.jqwik.api.Tuple.of(6, NewTop.DEFAULT), net.jqwik.api.Tuple.of(1, NewTop.V2),
                net.jqwik.api.Tuple.of(1, NewTop.V1), net.jqwik.api.Tuple.of(1, NewTop.ISAM));
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
            @ForAll("newTops") NewTop lower, @ForAll("newTops") NewTop first, @ForAll("engines") String engine)
            throws Exception {
        Path dir = scratch();
        String context = "scripts " + scripts + ", actions " + actions + ", layers " + first + " over " + lower
                + " over raw, engine " + engine;
        try {
            Path back = dir.resolve("back.img");
            Files.write(back, new byte[ConcurrentDeviceProperties.SECTORS * 512]); // write id 0 everywhere
            // two layers from the start, so a commit has something to merge before any snapshot
            Path below = create(dir.resolve("top0-" + lower.name().toLowerCase(java.util.Locale.ROOT) + ".img"), lower,
                    back);
            Path top = create(dir.resolve("top1-" + first.name().toLowerCase(java.util.Locale.ROOT) + ".img"), first,
                    below);
            List<Done> log;
            List<String> chain;
            Path topFile;
            try (IoEngine io = IoEngines.create(engine);
                 DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(io))
                         .withRing(RingConfig.of("ubd").withRequestTimeout(ACTION_WAIT)))) {
                LiveChain live = new LiveChain(table.add("ubd0=" + top), dir, back);
                live.add(below, lower.kind);
                live.add(top, first.kind);
                List<Boolean> during = java.util.Collections.synchronizedList(new ArrayList<>());
                log = ConcurrentDeviceProperties.run(live.device, scripts, (clock, guestsDone) -> {
                    for (LiveAction a : actions) {
                        awaitTick(clock, a.atTick(), guestsDone);
                        during.add(!guestsDone.getAsBoolean());
                        a.apply(live);
                    }
                    live.settle(true); // the last job may run past the guests; its end decides the chain
                });
                // how often an action overlaps the guests' I/O, in the report: acting only after them tests nothing
                during.forEach(d -> Statistics.label("actions").collect(d ? "while the guests ran" : "after them"));
                live.outcomes.forEach(o -> Statistics.label("outcomes").collect(o));
                ConcurrentDeviceProperties.check(log, context);
                assertEquals(live.layers, kinds(live.device.stack()), context + ": the running device's stack");
                chain = List.copyOf(live.layers);
                topFile = live.top();
            }
            assertColdChainReads(chain, topFile, log.get(log.size() - 1).seen(), context);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Path create(Path file, NewTop kind, Path backing) throws IOException {
        FormatTable.standard().create(CreateSpec.of(file, kind.format != null ? kind.format
                : FormatTable.standard().layerFormat().name()).withBacking(backing).withOptions(kind.options));
        return file;
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
