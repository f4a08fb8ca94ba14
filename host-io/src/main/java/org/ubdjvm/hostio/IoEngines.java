package org.ubdjvm.hostio;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes an engine from its name, the way users spell it on a command line. {@code auto} probes the kernel and takes
 * the first engine that works, io_uring, then aio, then sync, keeping one line that says why it passed over the
 * others (the seed: "auto-detected and used", with a way to force it off for debugging: {@code sync} or
 * {@code none}). A name that forces an engine fails with a clear {@link IOException} when that engine cannot run
 * here, rather than silently running another.
 */
public final class IoEngines {
    public static final String AUTO = "auto";
    /** AIO off: the sync engine under the name the seed's "no-AIO" option suggests. */
    public static final String NONE = "none";
    /** Requests in flight per async engine unless asked otherwise. */
    public static final int DEFAULT_QUEUE_DEPTH = 64;
    /** Every name {@link #select} accepts. */
    public static final List<String> NAMES =
            List.of(AUTO, IoUring.NAME, LinuxAio.NAME, MmapEngine.NAME, SyncEngine.NAME, NONE);

    private IoEngines() {
    }

    @FunctionalInterface
    private interface Opener {
        IoEngine open() throws IOException;
    }

    /** The engine called {@code name}, with {@link #DEFAULT_QUEUE_DEPTH}. */
    public static IoEngine create(String name) throws IOException {
        return select(name, DEFAULT_QUEUE_DEPTH).engine();
    }

    public static EngineSelection select(String name) throws IOException {
        return select(name, DEFAULT_QUEUE_DEPTH);
    }

    /**
     * @param queueDepth requests in flight at most, for io_uring and aio
     * @throws EngineUnavailableException a forced engine cannot run here; the message says why, the reason is typed
     * @throws IllegalArgumentException an unknown name
     */
    public static EngineSelection select(String name, int queueDepth) throws IOException {
        switch (name) {
            case AUTO:
                return auto(queueDepth);
            case IoUring.NAME:
                return forced(name, () -> AsyncEngine.ioUring(queueDepth));
            case LinuxAio.NAME:
                return forced(name, () -> AsyncEngine.aio(queueDepth));
            case MmapEngine.NAME:
                return new EngineSelection(name, new MmapEngine(), "");
            case SyncEngine.NAME:
            case NONE:
                return new EngineSelection(name, new SyncEngine(), "");
            default:
                throw new IllegalArgumentException("unknown I/O engine '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        }
    }

    private static EngineSelection auto(int queueDepth) {
        List<String> reasons = new ArrayList<>();
        IoEngine engine = attempt(IoUring.NAME, () -> AsyncEngine.ioUring(queueDepth), reasons);
        if (engine == null) {
            engine = attempt(LinuxAio.NAME, () -> AsyncEngine.aio(queueDepth), reasons);
        }
        if (engine == null) {
            engine = new SyncEngine();
        }
        return new EngineSelection(AUTO, engine, String.join("; ", reasons));
    }

    private static EngineSelection forced(String name, Opener opener) throws EngineUnavailableException {
        try {
            return new EngineSelection(name, open(name, opener), "");
        } catch (EngineUnavailableException e) {
            throw new EngineUnavailableException("I/O engine " + name + " is unavailable: " + e.getMessage(),
                    e.reason(), e);
        }
    }

    /** The engine, or null with the reason it cannot run added to {@code reasons}. */
    private static IoEngine attempt(String name, Opener opener, List<String> reasons) {
        try {
            return open(name, opener);
        } catch (EngineUnavailableException e) {
            reasons.add(e.getMessage());
            return null;
        }
    }

    /** Any failure to make an engine, as the one exception that says why. */
    private static IoEngine open(String name, Opener opener) throws EngineUnavailableException {
        try {
            return opener.open();
        } catch (EngineUnavailableException e) {
            throw e;
        } catch (IOException e) {
            throw new EngineUnavailableException(e.getMessage(), EngineUnavailableException.Reason.FAILED, e);
        } catch (LinkageError e) {
            throw new EngineUnavailableException(name + ": JNA native access unavailable: " + e,
                    EngineUnavailableException.Reason.UNSUPPORTED, e);
        }
    }
}
