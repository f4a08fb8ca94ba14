package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.hostio.AsyncEngine;
import org.ubdjvm.hostio.EngineSelection;
import org.ubdjvm.hostio.EngineUnavailableException;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;
import org.ubdjvm.hostio.MmapEngine;
import org.ubdjvm.hostio.PendingFile;
import org.ubdjvm.hostio.SyncEngine;

/**
 * Opens image stacks for callers that must not know engines (the driver): each over the one engine they share, or
 * over an engine of its own when an {@link EngineRequest} asks for another kind, which the image then owns and
 * closes. The composition root makes one opener per guest with the engine it chose.
 */
public final class ImageOpener {
    /** A second boundary falls inside a create about once a thousand snapshots; three in a row, never. */
    private static final int MAKE_ATTEMPTS = 3;

    private final FormatTable formats;
    private final IoEngine shared;

    /** {@code shared} stays the caller's: closing images never closes it. */
    public ImageOpener(FormatTable formats, IoEngine shared) {
        this.formats = formats;
        this.shared = shared;
    }

    /** An opener over {@code shared} with {@link FormatTable#standard()}. */
    public static ImageOpener over(IoEngine shared) {
        return new ImageOpener(FormatTable.standard(), shared);
    }

    public FormatTable formats() {
        return formats;
    }

    /**
     * Opens {@code spec} (its engine, if any, is ignored) through the engine {@code request} asks for.
     *
     * @throws ImageException the request cannot be met on this host (named with the file; the cause is the
     *                        engine's {@code EngineUnavailableException}, whose reason is typed), or the image is bad;
     *                        nothing is left open
     */
    public OpenedImage open(OpenSpec spec, EngineRequest request) throws IOException {
        IoEngine engine;
        try {
            engine = engineFor(request);
        } catch (EngineUnavailableException e) {
            throw new ImageException(spec.file(), e.getMessage(), e);
        }
        boolean owned = engine != shared;
        try {
            BlockImage image = formats.open(spec.withEngine(engine));
            return new OpenedImage(owned ? new EngineOwningImage(image, engine) : image, engine.name(),
                    engine::describeInFlight);
        } catch (IOException | RuntimeException e) {
            if (owned) {
                engine.close();
            }
            throw e;
        }
    }

    /**
     * A live snapshot's first step, beside the guest's I/O: makes {@code create.file()} over {@code below}, the open
     * stack of {@code create.backing()} (the backing is not opened again). The file is made under a temporary name
     * and put in place, durably and with its folder synced, only once whole ({@link PendingFile}), so the final name
     * never holds a half-made header; an existing file there is never replaced. The header records the backing's
     * mtime of this moment, which the guest's writes keep moving: {@link #openAbove} and {@link #settleBelow} set it
     * back to that value once nothing writes the backing any more.
     */
    public PremadeLayer makeAbove(CreateSpec create, BlockImage below) throws IOException {
        if (create.backing() == null) {
            throw new IllegalArgumentException(create.file() + ": a layer over an open stack needs its backing named");
        }
        FormatTable over = formats.withOpenLayer(create.backing(), new SharedLayer(below));
        boolean local = !BackingPath.remote(create.backing(), formats);
        for (int attempt = 1; ; attempt++) {
            try (PendingFile pending = PendingFile.beside(create.file(), "snapshot")) {
                // the mtime moves only forward while the guest writes: the same before and after the create is the
                // value the header recorded (a format that records none is not harmed by it being set back later)
                long before = local ? HostFile.mtimeSeconds(create.backing()) : 0;
                over.create(create.withFile(pending.path()));
                long after = local ? HostFile.mtimeSeconds(create.backing()) : 0;
                if (before == after) {
                    pending.commit(false);
                    return new PremadeLayer(create.withFile(pending.target()), local, after);
                }
                if (attempt == MAKE_ATTEMPTS) {
                    throw new ImageException(create.file(), "the mtime of " + ImageException.quote(create.backing())
                            + " changed during each of " + MAKE_ATTEMPTS + " attempts to record it");
                }
            }
        }
    }

    /**
     * At the barrier, nothing writing the backing: sets the backing's mtime back to the one {@code made}'s header
     * records (no sync: {@link #settleBelow} makes it durable) and opens the layer over {@code below} through the
     * engine {@code request} asks for, with {@code open}'s flags. The result owns {@code below}; on failure
     * {@code below} stays open and the caller's, and the made file is removed.
     */
    public OpenedImage openAbove(PremadeLayer made, OpenSpec open, EngineRequest request, BlockImage below)
            throws IOException {
        Path backing = made.create().backing();
        if (!made.create().file().equals(open.file())) {
            throw new IllegalArgumentException(open.file() + ": not the made layer " + made.create().file());
        }
        SharedLayer lent = new SharedLayer(below);
        try {
            made.restoreBackingMtime();
            OpenedImage opened = new ImageOpener(formats.withOpenLayer(backing, lent), shared)
                    .open(open.withBacking(backing), request);
            lent.adopt();
            return opened;
        } catch (IOException | RuntimeException e) {
            made.discard(e);
            throw e;
        }
    }

    /**
     * After the switch, beside the guest's I/O: the old top's last writes and metadata flushed, its mtime set back
     * again (that flush moved it) and fsynced by name (through the descriptor its stack holds, so it keeps its lock;
     * fdatasync may leave an mtime behind). Until this has returned, a flush of the new top must not complete: the
     * guest's earlier writes live in the old top.
     */
    public static void settleBelow(PremadeLayer made, BlockImage below, WaitLimit limit) throws IOException {
        BlockIo.flush(below, limit);
        made.restoreBackingMtime();
        if (made.local()) {
            HostFile.syncByName(made.create().backing());
        }
    }

    /**
     * Opens {@code open} through the engine {@code request} asks for, its backing chain reaching {@code lentFile}
     * getting {@code lent} itself, which stays the caller's: closing the result never closes it. For a background
     * commit, which holds its base open read-write under the device's stack while it copies into it.
     */
    public OpenedImage openOver(OpenSpec open, EngineRequest request, java.nio.file.Path lentFile, BlockImage lent)
            throws IOException {
        return new ImageOpener(formats.withOpenLayer(lentFile, new SharedLayer(lent)), shared).open(open, request);
    }

    /** The shared engine when it is of the kind asked for; else a new one. */
    private IoEngine engineFor(EngineRequest request) throws IOException {
        return switch (request.kind()) {
            case SHARED -> shared;
            case SYNC -> shared instanceof SyncEngine ? shared : new SyncEngine();
            case ASYNC -> shared instanceof AsyncEngine ? shared : async();
            case MAPPED -> new MmapEngine(request.windowBytes());
        };
    }

    /** io_uring, else Linux AIO: {@code auto} without its last resort. */
    private static IoEngine async() throws IOException {
        EngineSelection s = IoEngines.select(IoEngines.AUTO);
        if (!(s.engine() instanceof AsyncEngine)) {
            s.engine().close();
            throw new EngineUnavailableException("AIO was asked for, but this host has none: " + s.fallbackReason(),
                    EngineUnavailableException.Reason.UNSUPPORTED);
        }
        return s.engine();
    }
}
