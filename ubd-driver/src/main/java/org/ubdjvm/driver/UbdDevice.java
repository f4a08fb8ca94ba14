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
import java.util.function.Supplier;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.OpenedImage;
import org.ubdjvm.cow.RawFormat;
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

    private final DeviceSpec spec;
    private final DeviceEnvironment env;
    /** The stack's top; replaced by a live snapshot, at a held barrier of the ring. */
    private volatile BlockImage image;
    /** The file of the top layer (the device's file until a snapshot). */
    private volatile Path topFile;
    private final ImageRequestHandler handler;
    private final RequestRing ring;
    private final String engineName;
    /** What the device's engine holds now, for timeout messages. */
    private final Supplier<String> engineInFlight;
    private final Geometry geometry;

    private UbdDevice(DeviceSpec spec, DeviceEnvironment env, BlockImage image, ImageRequestHandler handler,
                      RequestRing ring, OpenedImage opened) {
        this.spec = spec;
        this.env = env;
        this.image = image;
        this.topFile = spec.file();
        this.handler = handler;
        this.ring = ring;
        this.engineName = opened.engineName();
        this.engineInFlight = opened.engineInFlight();
        this.geometry = spec.flags().geometry() != null ? spec.flags().geometry() : Geometry.umlDefault(image.capacity());
    }

    /**
     * Opens the device as the kernel does: {@code d} (or {@code V0}) means raw; a COW file named with a backing file
     * that does not exist yet is created first ({@code Creating "cow" as COW file for "backing"}), in the table's
     * layer format, with {@code V<n>} passed as its {@code version} option.
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
            CreateSpec layer = CreateSpec.of(spec.file(), formats.layerFormat().name())
                    .withBacking(spec.backing()).withWarnings(env.warnings());
            formats.create(f.createVersion() > 0
                    ? layer.withOption(CREATE_VERSION_OPTION, String.valueOf(f.createVersion())) : layer);
        }
        boolean raw = f.data() || f.createVersion() == 0;
        OpenSpec open = OpenSpec.of(spec.file())
                .withFormat(format != null ? format : raw ? RawFormat.NAME : null)
                .withBacking(spec.backing())
                .withReadOnly(f.readOnly())
                .withSyncWrites(f.syncWrites())
                .withForceShare(f.shared() || env.forceShare()) // c: the kernel's "Not locking" the files
                .withWarnings(env.warnings());
        OpenedImage opened = env.images().open(open, spec.engineRequest());
        BlockImage image = opened.image();
        if (f.geometry() != null && f.geometry().capacitySectors() * 512 > image.capacity()) {
            image.close();
            throw new IOException(spec.name() + ": geometry C" + f.geometry().cylinders() + "H" + f.geometry().heads()
                    + "S" + f.geometry().sectors() + " describes " + f.geometry().capacitySectors() * 512
                    + " bytes, more than the image's " + image.capacity());
        }
        FlushMode mode = f.syncWrites() ? FlushMode.SYNC_EVERY_WRITE : env.barrierMode();
        RingConfig ringConfig = env.ring().withName(spec.name());
        if (f.requestTimeoutSeconds() > 0) {
            ringConfig = ringConfig.withRequestTimeout(Duration.ofSeconds(f.requestTimeoutSeconds()));
        }
        ImageRequestHandler handler = new ImageRequestHandler(spec.name(), image, mode, f.noTrim());
        RequestRing ring = new RequestRing(ringConfig, handler);
        return new UbdDevice(spec, env, image, handler, ring, opened);
    }

    public DeviceSpec spec() {
        return spec;
    }

    public String name() {
        return spec.name();
    }

    public long capacity() {
        return image.capacity();
    }

    public int sectorSize() {
        return image.sectorSize();
    }

    public boolean readOnly() {
        return image.readOnly();
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
        ring.submit(op, offset, buffer, done);
    }

    /** Queues a discard: the range reads as zeros afterwards (refused with flag {@code t}). */
    public void discard(long offset, long length, RequestCompletion done) {
        ring.submitDiscard(offset, length, done);
    }

    /**
     * The seed's live snapshot: at a barrier of the ring (every earlier request completed and flushed, later ones
     * held), makes {@code newTop} in {@code format} (null: the table's layer format) over the current top file, opens
     * it over the open stack and sends every later request to it; the old top is only read from then on. If anything
     * fails the device keeps its old top and no new file is left.
     *
     * @return how long the ring was held, the drain included
     */
    public Duration snapshot(Path newTop, String format, Duration timeout) throws IOException {
        if (readOnly()) {
            throw new IOException(name() + ": read-only: a snapshot needs a writable device");
        }
        if (Files.exists(newTop, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(name() + ": snapshot " + newTop + ": file exists");
        }
        CompletableFuture<Long> held = new CompletableFuture<>();
        ring.submitHeld(new SnapshotSwitch(this, newTop, format), (pause, e) -> {
            if (e != null) {
                held.completeExceptionally(e);
            } else {
                held.complete(pause);
            }
        });
        try {
            return Duration.ofNanos(held.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            throw new IOException(name() + ": snapshot " + newTop + ": the barrier was not reached in "
                    + timeout.toSeconds() + " s (requests in flight: " + describeInFlight() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(name() + ": snapshot " + newTop + ": interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw new IOException(name() + ": snapshot " + newTop + ": " + io.getMessage(), io);
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    DeviceEnvironment environment() {
        return env;
    }

    BlockImage top() {
        return image;
    }

    Path topFile() {
        return topFile;
    }

    /** At the held barrier, on the ring's worker: later requests go to {@code top}, made from {@code file}. */
    void switchTop(BlockImage top, Path file) {
        handler.switchTo(top);
        image = top;
        topFile = file;
    }

    /** What is behind the device now, top first (file, format, read-only, depth): for a control client. */
    public ImageInfo stack() throws IOException {
        return image.info();
    }

    /**
     * The allocation run at {@code offset} ({@link BlockImage#allocation}): what the image knows of its layers, not
     * I/O, so it does not travel the ring; it may block on metadata I/O. For NBD's block status.
     */
    public Allocation allocation(long offset, long length) throws IOException {
        return image.allocation(offset, length);
    }

    /** Completes every queued request, then flushes and closes the image stack. */
    @Override
    public void close() throws IOException {
        ring.close();
        image.close();
    }
}
