package org.ubdjvm.driver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.cow.ImageFormat;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.cow.MetadataCacheOptions;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.OpenedImage;
import org.ubdjvm.cow.PremadeLayer;
import org.ubdjvm.cow.RawFormat;
import org.ubdjvm.cow.WaitLimit;
import org.ubdjvm.queue.HeldBarrier;
import org.ubdjvm.queue.RequestCompletion;
import org.ubdjvm.queue.RequestOp;
import org.ubdjvm.queue.RequestRing;
import org.ubdjvm.queue.RingConfig;

/**
 * One ubd device: a ring in front of exactly one {@link BlockImage}, whatever stack of files is behind it. The
 * driver knows flags, geometry and barriers; how bytes reach the host is the image's and the engine's business.
 */
public final class UbdDevice implements AutoCloseable {
    /** The create option {@code V<n>} sets on a layer made on open: the seed's "header version". */
    static final String CREATE_VERSION_OPTION = "version";
    /** The create options {@code P}, {@code L} and {@code B<n>} set; a format without one refuses the letter. */
    static final String PAD_OPTION = "pad";
    static final String KEEP_NAME_OPTION = "keep-name";
    static final String SECTOR_SIZE_OPTION = "sector-size";

    /** How long a background commit waits for the ring's barrier. */
    static final Duration BARRIER_TIMEOUT = Duration.ofSeconds(30);

    private final DeviceSpec spec;
    /** The stack behind the device; a live snapshot replaces it (shared with the disk's partitions). */
    private final DeviceTop top;
    private final RequestRing ring;
    private final String engineName;
    /** What the device's engine holds now, for timeout messages. */
    private final Supplier<String> engineInFlight;
    private final Geometry geometry;
    private final PartitionTable.Scan partitions;
    /** The partition this device is ({@code ubd0p2}), or null for the whole disk. */
    private final Partition partition;

    private UbdDevice(DeviceSpec spec, DeviceTop top, RequestRing ring, OpenedImage opened, Geometry geometry,
                      PartitionTable.Scan partitions, Partition partition) {
        this.spec = spec;
        this.top = top;
        this.ring = ring;
        this.engineName = opened.engineName();
        this.engineInFlight = opened.engineInFlight();
        this.geometry = geometry;
        this.partitions = partitions;
        this.partition = partition;
    }

    /**
     * Opens the device as the kernel does: {@code d} (or {@code V0}) means raw; a COW file named with a backing file
     * that does not exist yet is created first ({@code Creating "cow" as COW file for "backing"}), in the table's
     * layer format, with {@code V<n>}, {@code P}, {@code L} and {@code B<n>} passed as its {@code version},
     * {@code pad}, {@code keep-name} and {@code sector-size} options (an existing file is opened as it is).
     */
    public static UbdDevice open(DeviceSpec spec, DeviceEnvironment env) throws IOException {
        return open(spec, env, null);
    }

    /**
     * As {@link #open(DeviceSpec, DeviceEnvironment)}, with the top file opened as {@code format} (a format table
     * name, as qemu-img's {@code -f}); null leaves it to the letters ({@code d} raw) and the probe.
     */
    public static UbdDevice open(DeviceSpec spec, DeviceEnvironment env, String format) throws IOException {
        DeviceFlags f = spec.flags();
        FormatTable formats = env.images().formats();
        if (spec.backing() != null && !Files.exists(spec.file())) {
            env.warnings().accept("Creating \"" + spec.file() + "\" as COW file for \"" + spec.backing() + "\"");
            formats.create(CreateSpec.of(spec.file(), formats.layerFormat().name())
                    .withBacking(spec.backing()).withWarnings(env.warnings()).withOptions(createOptions(f)));
        }
        boolean raw = f.data() || f.createVersion() == 0;
        OpenSpec open = layerSpec(spec, env, spec.file(), format != null ? format : raw ? RawFormat.NAME : null,
                f.readOnly(), env.warnings()).withBacking(spec.backing());
        OpenedImage opened = env.images().open(open, spec.engineRequest());
        BlockImage image = opened.image();
        Geometry geometry;
        PartitionTable.Scan partitions;
        try {
            geometry = Geometry.of(spec, image);
            partitions = PartitionTable.read(image, spec.name());
        } catch (IOException | RuntimeException e) {
            try {
                image.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        partitions.warnings().forEach(env.warnings());
        FlushMode mode = f.syncWrites() ? FlushMode.SYNC_EVERY_WRITE : env.barrierMode();
        RingConfig ringConfig = env.ring().withName(spec.name());
        if (f.requestTimeoutSeconds() > 0) {
            ringConfig = ringConfig.withRequestTimeout(Duration.ofSeconds(f.requestTimeoutSeconds()));
        }
        ImageRequestHandler handler = new ImageRequestHandler(spec.name(), image, mode, f.noTrim());
        RequestRing ring = new RequestRing(ringConfig, handler);
        return new UbdDevice(spec, new DeviceTop(image, spec.file(), handler, env), ring, opened, geometry,
                partitions, null);
    }

    /** How the device opens a file of its stack: its flags (sync writes, sharing, metadata cache, O_DIRECT). */
    private static OpenSpec layerSpec(DeviceSpec spec, DeviceEnvironment env, Path file, String format,
                                      boolean readOnly, java.util.function.Consumer<String> warnings) {
        DeviceFlags f = spec.flags();
        return OpenSpec.of(file)
                .withFormat(format)
                .withReadOnly(readOnly)
                .withSyncWrites(f.syncWrites())
                .withForceShare(f.shared() || env.forceShare()) // c: the kernel's "Not locking" the files
                .withMetadata(new MetadataCacheOptions(f.mmap().bitmapBytes(),
                        f.metadataCacheKiB() > 0 ? f.metadataCacheKiB() * 1024L : env.metadataCacheBytes()))
                .withDirect(f.direct() || env.direct())
                .withWarnings(warnings);
    }

    /**
     * Partition {@code number} of this disk as a device of its own ({@code ubd0p2}, the kernel's {@code ubda2}):
     * the same ring and image, requests shifted to the partition's start and refused past its end. Closing the
     * disk closes it; closing it does nothing.
     *
     * @throws IOException naming the device and the partitions it has, when there is no such partition
     */
    public UbdDevice partition(int number) throws IOException {
        Partition p = partitions.partition(number);
        if (partition != null || p == null) {
            throw new IOException(name() + ": no partition " + number + " (" + (partitions.partitions().isEmpty()
                    ? "partition table: " + partitions.scheme() : "partitions: " + partitions.partitions().stream()
                    .map(q -> String.valueOf(q.number())).collect(java.util.stream.Collectors.joining(", "))) + ")");
        }
        return new UbdDevice(spec, top, ring, new OpenedImage(top.image(), engineName, engineInFlight), geometry,
                partitions, p);
    }

    /** What the disk's partition table holds (scheme, partitions, warnings), read when the device was opened. */
    public PartitionTable.Scan partitions() {
        return partitions;
    }

    /** The letters that shape a layer made on open, as the options of its format (which checks them). */
    private static Map<String, String> createOptions(DeviceFlags f) {
        Map<String, String> options = new LinkedHashMap<>();
        if (f.createVersion() > 0) {
            options.put(CREATE_VERSION_OPTION, String.valueOf(f.createVersion()));
        }
        if (f.padHeader()) {
            options.put(PAD_OPTION, "on");
        }
        if (f.keepSymlinks()) {
            options.put(KEEP_NAME_OPTION, "on");
        }
        if (f.sectorSize() > 0) {
            options.put(SECTOR_SIZE_OPTION, String.valueOf(f.sectorSize()));
        }
        return options;
    }

    public DeviceSpec spec() {
        return spec;
    }

    /** {@code ubda}, or {@code ubda2} for a partition (the kernel's names). */
    public String name() {
        return partition == null ? spec.name() : spec.name() + partition.number();
    }

    public long capacity() {
        return partition == null ? top.image().capacity() : partition.length();
    }

    public int sectorSize() {
        return top.image().sectorSize();
    }

    public boolean readOnly() {
        return top.image().readOnly();
    }

    public Geometry geometry() {
        return geometry;
    }

    /** The engine this device's files go through ({@code A0} sync, {@code A1} io_uring/aio, {@code M..d} mmap). */
    public String engineName() {
        return engineName;
    }

    /** A request not answered in this long fails with ETIMEDOUT ({@code T<n>}, else the table's default). */
    public Duration requestTimeout() {
        return ring.config().requestTimeout();
    }

    /**
     * What is in flight, for a timeout message: the ring's requests (op, offset, length, age), then what the engine
     * holds (its requests and, for a kernel queue, the ring indexes). Empty when idle.
     */
    public String describeInFlight() {
        String requests = ring.describeInFlight();
        String host = engineInFlight.get();
        return requests.isEmpty() ? host : host.isEmpty() ? requests : requests + "\n" + host;
    }

    /** Queues a request; the completion runs on a host thread. Bad requests complete with an error, nothing written. */
    public void submit(RequestOp op, long offset, ByteBuffer buffer, RequestCompletion done) {
        if (partition != null && op != RequestOp.FLUSH && outside(op.name().toLowerCase(java.util.Locale.ROOT),
                offset, buffer.remaining(), done)) {
            return;
        }
        ring.submit(op, partition == null || op == RequestOp.FLUSH ? offset : partition.start() + offset, buffer, done);
    }

    /** A partition's request must lie inside it: the image below would let it reach the next partition. */
    private boolean outside(String op, long offset, long length, RequestCompletion done) {
        if (offset >= 0 && length >= 0 && length <= partition.length() - offset) {
            return false;
        }
        done.completed(0, new IOException(name() + ": " + op + " of " + length + " bytes at offset " + offset
                + " is outside the partition (" + partition.length() + " bytes)"));
        return true;
    }

    /** Queues a discard: the range reads as zeros afterwards (refused with flag {@code t}). */
    public void discard(long offset, long length, RequestCompletion done) {
        if (partition != null && outside("discard", offset, length, done)) {
            return;
        }
        ring.submitDiscard(partition == null ? offset : partition.start() + offset, length, done);
    }

    /**
     * The allocation run at {@code offset} ({@link BlockImage#allocation}): what the image knows of its layers, not
     * I/O, so it does not travel the ring; it may block on metadata I/O. For NBD's block status.
     */
    public Allocation allocation(long offset, long length) throws IOException {
        return top.image().allocation(offset, length);
    }

    /**
     * The seed's live snapshot: makes {@code newTop} in {@code format} (null: the table's layer format) over the
     * current top file beside the guest's I/O, then, at a barrier of the ring that waits only for the requests in
     * flight, opens it over the open stack and sends every later request to it; the old top is only read from then
     * on, and is made durable after the release (the new top's flushes wait for that). If anything fails before
     * the switch the device keeps its old top and no new file is left. A disk's partitions follow it.
     *
     * @return how long the ring was held (the drain included) and where that time and the rest went
     */
    public SnapshotTiming snapshot(Path newTop, String format, Duration timeout) throws IOException {
        return snapshot(newTop, format, Map.of(), timeout);
    }

    /**
     * As {@link #snapshot(Path, String, Duration)}, with create {@code options} for the new top, as its format
     * declares them ({@code version=2} for a UML COW V2); one it refuses fails the snapshot like any other error.
     */
    public SnapshotTiming snapshot(Path newTop, String format, Map<String, String> options, Duration timeout)
            throws IOException {
        if (partition != null) {
            throw new IOException(name() + ": a snapshot is of the whole disk: snapshot " + spec.name());
        }
        if (readOnly()) {
            throw new IOException(name() + ": read-only: a snapshot needs a writable device");
        }
        CommitJob running = top.runningJob();
        if (running != null) {
            throw new IOException(name() + ": commit job " + running.id() + " is running: snapshot when it has ended");
        }
        if (Files.exists(newTop, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(name() + ": snapshot " + newTop + ": file exists");
        }
        FormatTable formats = top.environment().images().formats();
        ImageFormat layer = format == null ? formats.layerFormat() : formats.byName(format);
        if (!layer.copyOnWrite()) {
            // HEADER would take the old top as its data file and write into it: the old top must only be read now
            throw new IOException(name() + ": snapshot " + newTop + ": format " + layer.name() + " makes no"
                    + " copy-on-write layer over the old top (formats that do: " + formatsThat(ImageFormat::copyOnWrite)
                    + ")");
        }
        // Most of a barrier's flush is what the guest wrote since the last one: flushed here, beside the guest's
        // I/O, it leaves the held flush only the last few milliseconds' writes, so the pause is short.
        long start = System.nanoTime();
        WaitLimit limit = new WaitLimit(timeout, this::describeInFlight);
        BlockIo.flush(top.image(), limit);
        long flushed = System.nanoTime();
        // Everything that needs no hold happens beside the guest's I/O: the new file is made now, and the old top's
        // last writes are made durable after the release (the new top's flushes wait for that)
        DeviceEnvironment env = top.environment();
        String fmt = layer.name();
        PremadeLayer made;
        try {
            made = env.images().makeAbove(CreateSpec.of(newTop, fmt).withBacking(top.file().toAbsolutePath())
                    .withOptions(options).withWarnings(env.warnings()), top.image());
        } catch (IOException e) {
            throw new IOException(name() + ": snapshot " + newTop + ": " + e.getMessage(), e);
        }
        long premade = System.nanoTime();
        // as the device opened the old top (O_DIRECT too: a direct old top has block-sized sectors, which only a
        // direct open of the new one accepts)
        OpenSpec open = layerSpec(spec, env, made.create().file(), fmt, false, env.warnings());
        SnapshotSwitch sw = new SnapshotSwitch(top, made, open, spec);
        long pause = awaitSwitch(submitHeld(sw), sw, made, newTop, timeout);
        long settle;
        try {
            settle = sw.settle(limit);
        } catch (IOException e) {
            throw new IOException(name() + ": snapshot " + newTop + ": switched, but the old top could not be made"
                    + " durable (the new top's flushes fail): " + e.getMessage(), e);
        }
        return sw.timing(pause, flushed - start, premade - flushed, settle);
    }

    /** The ring's pause, once the switch is done; on failure or timeout the made file is removed. */
    private long awaitSwitch(CompletableFuture<Long> held, SnapshotSwitch sw, PremadeLayer made, Path newTop,
                             Duration timeout) throws IOException {
        try {
            try {
                return held.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (!sw.cancel()) {
                    return held.get(); // the switch has started: it ends in a bounded time
                }
                IOException late = new IOException(name() + ": snapshot " + newTop + ": the barrier was not reached in "
                        + timeout.toSeconds() + " s (requests in flight: " + describeInFlight() + ")");
                made.discard(late);
                throw late;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            IOException stopped = new IOException(name() + ": snapshot " + newTop + ": interrupted", e);
            if (sw.cancel()) {
                made.discard(stopped);
            }
            throw stopped;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                IOException failed = new IOException(name() + ": snapshot " + newTop + ": " + io.getMessage(), io);
                made.discard(failed);
                throw failed;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** {@code work} at a held barrier of the ring; completes with the pause in nanoseconds, or the work's error. */
    private CompletableFuture<Long> submitHeld(HeldBarrier work) {
        CompletableFuture<Long> held = new CompletableFuture<>();
        ring.submitHeld(work, (pause, e) -> {
            if (e != null) {
                held.completeExceptionally(e);
            } else {
                held.complete(pause);
            }
        });
        return held;
    }

    /**
     * Runs {@code work} at a held barrier of the ring and waits for it.
     *
     * @param what names the operation in errors ({@code commit-1})
     * @return how long the ring was held, the drain included
     */
    Duration hold(HeldBarrier work, Duration timeout, String what) throws IOException {
        CompletableFuture<Long> held = submitHeld(work);
        try {
            return Duration.ofNanos(held.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            throw new IOException(name() + ": " + what + ": the barrier was not reached in "
                    + timeout.toSeconds() + " s (requests in flight: " + describeInFlight() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(name() + ": " + what + ": interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw new IOException(name() + ": " + what + ": " + io.getMessage(), io);
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * The layer at {@code depth} gets a new backing file recorded by the commit: refused now, before anything is
     * copied, when its format cannot do that (ISAM). Found out only at the end, the job failed after the copy had
     * moved the base's mtime, and the unchanged chain no longer opened (mtime mismatch below that layer).
     */
    private void requireNewBacking(CommitPlan plan, int depth) throws IOException {
        FormatTable formats = top.environment().images().formats();
        ImageFormat f = formats.byName(plan.format(depth));
        if (!f.recordsNewBacking()) {
            throw new IOException(name() + ": " + plan.files().get(depth) + ": format " + f.name() + " cannot record"
                    + " a new backing file, which this commit needs (formats that can: "
                    + formatsThat(ImageFormat::recordsNewBacking) + ")");
        }
    }

    /**
     * A background commit journals the base's mtime and makes it durable by name, which a protocol location (an NBD
     * export) has not: refused, with the offline commit that does handle one.
     */
    private void requireHostBase(CommitPlan plan) throws IOException {
        if (top.environment().images().formats().protocolFor(plan.base().toString()) != null) {
            throw new IOException(name() + ": commit: the base " + plan.base() + " is a protocol location, not a"
                    + " host file: a background commit into it is not supported; commit offline once the device is"
                    + " closed: ubd commit -b " + plan.base() + " " + plan.top());
        }
    }

    /**
     * The layer above the merged ones is given the base as its backing only at the end, after the copy moved the
     * base's mtime: refused before anything is copied when its header cannot record both at once, crash-safely (a
     * UML COW V2 header keeps its 4 KiB name and the mtime after it in different sectors). Found out only at the end,
     * the copy was for nothing and the job failed.
     *
     * @param above that layer, open
     */
    private static void requireRenameAfterCopy(CommitPlan plan, BlockImage above) throws IOException {
        try {
            above.layerFile().checkRecordBacking(plan.base());
        } catch (ImageException e) {
            throw new IOException("refused before copying: " + plan.above() + " must name the base " + plan.base()
                    + " and its new mtime when the copy ends, and " + e.getMessage(), e);
        }
    }

    /** The names of the table's formats that {@code can}, for a refusal that says which would do. */
    private String formatsThat(java.util.function.Predicate<ImageFormat> can) {
        return top.environment().images().formats().formats().stream().filter(can).map(ImageFormat::name)
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /**
     * Starts a background commit (the seed's "merged … as a background task"): the layers {@code request} names,
     * below the active top, are copied into its base on a thread of their own while the guest keeps reading and
     * writing the top, and the stack then reads the base in their place. See {@link CommitJob} for the steps, what a
     * cancel leaves and what a crash leaves. Takes one short barrier now (the base is reopened read-write under the
     * stack) and one when the copy is done.
     *
     * @throws IOException one line: a partition or a read-only device, a job already running on the device, a snapshot
     *                     of the active layer itself, a layer not in the stack, a layer that cannot name the base
     *                     crash-safely, a base that is not a host file, or a base that cannot be opened read-write
     *                     (the device then keeps its stack as it was)
     */
    public CommitJob commit(CommitRequest request) throws IOException {
        if (partition != null) {
            throw new IOException(name() + ": a commit is of the whole disk: commit " + spec.name());
        }
        if (readOnly()) {
            throw new IOException(name() + ": read-only: a background commit needs a writable device");
        }
        synchronized (top) {
            CommitJob running = top.runningJob();
            if (running != null) {
                throw new IOException(name() + ": commit job " + running.id() + " is already running on this device;"
                        + " one job at a time: wait for it or cancel it (job-cancel " + running.id() + ")");
            }
            CommitPlan plan = CommitPlan.of(name(), stack(), request);
            requireHostBase(plan);
            requireNewBacking(plan, plan.topDepth() - 1);
            requireNewBacking(plan, plan.baseDepth() - 1);
            if (plan.topDepth() == 1) { // a layer between is checked at the barrier, where the stack lets go of it
                try {
                    requireRenameAfterCopy(plan, top.image());
                } catch (IOException e) {
                    throw new IOException(name() + ": commit: " + e.getMessage(), e);
                }
            }
            hold(() -> lendBase(plan), BARRIER_TIMEOUT, "commit");
            CommitJob job = new CommitJob(this, plan);
            top.job(job);
            job.start();
            return job;
        }
    }

    /** The device's background job, running or ended (its last), or null when it never had one. */
    public CommitJob job() {
        return top.job();
    }

    /**
     * At a held barrier: the stack closed, a layer between the active top and the merged ones checked (only now can
     * it be opened: the stack held it read-write), then the base opened read-write, then the active top reopened over
     * it, so the base has one open, which the commit writes and the stack reads. If that fails the stack is reopened
     * as it was (the files are unchanged).
     */
    private void lendBase(CommitPlan plan) throws IOException {
        top.close();
        DeviceEnvironment env = top.environment();
        BlockImage base = null;
        try {
            if (plan.topDepth() > 1) {
                try (BlockImage above = env.images().open(layerSpec(spec, env, plan.above(),
                        plan.format(plan.topDepth() - 1), true, w -> { }), spec.engineRequest()).image()) {
                    requireRenameAfterCopy(plan, above);
                }
            }
            base = env.images().open(layerSpec(spec, env, plan.base(), plan.format(plan.baseDepth()), false,
                    env.warnings()), spec.engineRequest()).image();
            top.lend(base, plan.base());
            reopenActive(plan.format(0));
        } catch (IOException | RuntimeException e) {
            top.lend(null, null);
            try {
                if (base != null) {
                    base.close();
                }
                top.switchTo(env.images().open(layerSpec(spec, env, top.file(), plan.format(0), false, env.warnings()),
                        spec.engineRequest()).image(), top.file());
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Opens {@code file} over the lent base (read-only, or read-write for a header change), quietly. */
    BlockImage openOverLent(Path file, String format, boolean readOnly) throws IOException {
        DeviceEnvironment env = top.environment();
        return env.images().openOver(layerSpec(spec, env, file, format, readOnly, w -> { }), spec.engineRequest(),
                top.lentBaseFile(), top.lentBase()).image();
    }

    /** At a held barrier, the old stack closed: the active top opened again over the lent base, requests sent to it. */
    void reopenActive(String format) throws IOException {
        DeviceEnvironment env = top.environment();
        top.switchTo(env.images().openOver(layerSpec(spec, env, top.file(), format, false, env.warnings()),
                spec.engineRequest(), top.lentBaseFile(), top.lentBase()).image(), top.file());
    }

    /** The stack's top, for the snapshot switch. */
    DeviceTop top() {
        return top;
    }

    /** What is behind the device now, top first (file, format, read-only, depth): for a control client. */
    public ImageInfo stack() throws IOException {
        return top.image().info();
    }

    /** Completes every queued request, then flushes and closes the image stack. */
    @Override
    public void close() throws IOException {
        if (partition != null) {
            return; // the disk's device owns the ring and the image
        }
        CommitJob running = top.runningJob();
        if (running != null) {
            running.cancel(); // its last barrier needs the ring
            running.await(BARRIER_TIMEOUT);
        }
        ring.close();
        top.close();
    }
}
