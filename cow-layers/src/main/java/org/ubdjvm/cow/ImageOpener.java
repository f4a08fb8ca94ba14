package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Files;
import org.ubdjvm.hostio.AsyncEngine;
import org.ubdjvm.hostio.EngineSelection;
import org.ubdjvm.hostio.EngineUnavailableException;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;
import org.ubdjvm.hostio.MmapEngine;
import org.ubdjvm.hostio.SyncEngine;

/**
 * Opens image stacks for callers that must not know engines (the driver): each over the one engine they share, or
 * over an engine of its own when an {@link EngineRequest} asks for another kind, which the image then owns and
 * closes. The composition root makes one opener per guest with the engine it chose.
 */
public final class ImageOpener {
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
     * Layer insertion for a live snapshot: creates {@code create.file()} over {@code below}, the open stack of
     * {@code create.backing()}, and opens it over that stack through the engine {@code request} asks for, with
     * {@code open}'s flags. Neither step opens the backing file again: both are handed {@code below}, whose size and
     * file the new header records. The result owns {@code below}; on failure {@code below} stays open and the
     * caller's, and no new file is left.
     */
    public OpenedImage createAbove(CreateSpec create, OpenSpec open, EngineRequest request, BlockImage below)
            throws IOException {
        if (create.backing() == null || !create.file().equals(open.file())) {
            throw new IllegalArgumentException(create.file() + ": a layer over an open stack needs its backing named");
        }
        SharedLayer lent = new SharedLayer(below);
        FormatTable over = formats.withOpenLayer(create.backing(), lent);
        if (!BackingPath.remote(create.backing(), formats)) {
            // the new header records the old top's mtime, which its fdatasync-ed flush may not have made durable:
            // after a power cut the chain would fail the kernel's mtime check
            HostFile.syncByName(create.backing());
        }
        over.create(create);
        try {
            OpenedImage opened = new ImageOpener(over, shared).open(open.withBacking(create.backing()), request);
            lent.adopt();
            return opened;
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(create.file());
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
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
