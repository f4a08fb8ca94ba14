package org.ubdjvm.cow;

import java.nio.file.Path;
import java.util.function.Consumer;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.OpenMode;

/**
 * How to open an image.
 *
 * @param file            the top file
 * @param format          format name, or null to probe (raw when nothing matches)
 * @param backing         backing file given by the user (the kernel's {@code ubdN=cow,backing}), or null to use
 *                        the path stored in the header
 * @param readOnly        open the top layer read-only (lower layers always are)
 * @param syncWrites      every write is durable, metadata included, before it completes (ubd {@code s})
 * @param engine          host I/O engine shared by every layer; null only on the way to {@link ImageOpener}
 * @param warnings        where notices go (obsolete format, backing switch), one line each
 * @param depth           layers above this one; bounds backing chains so a loop fails instead of recursing
 * @param forceShare      take no lock on any layer (the kernel's {@code c} flag, qemu-img's {@code -U}); by default
 *                        each layer carries the kernel's lock, write on a read-write top, read below
 * @param metadata        page size and cache size of each layer's metadata (COW bitmap) cache
 * @param direct          open every layer's file O_DIRECT (bypassing the host's page cache)
 */
public record OpenSpec(Path file, String format, Path backing, boolean readOnly, boolean syncWrites,
                       IoEngine engine, Consumer<String> warnings, int depth, boolean forceShare,
                       MetadataCacheOptions metadata, boolean direct) {

    public OpenSpec(Path file, String format, Path backing, boolean readOnly, boolean syncWrites, IoEngine engine,
                    Consumer<String> warnings, int depth) {
        this(file, format, backing, readOnly, syncWrites, engine, warnings, depth, false);
    }

    public OpenSpec(Path file, String format, Path backing, boolean readOnly, boolean syncWrites, IoEngine engine,
                    Consumer<String> warnings, int depth, boolean forceShare) {
        this(file, format, backing, readOnly, syncWrites, engine, warnings, depth, forceShare,
                MetadataCacheOptions.DEFAULT, false);
    }

    /** A spec without an engine, for {@link ImageOpener#open}, which supplies one. */
    public static OpenSpec of(Path file) {
        return of(file, null);
    }

    public static OpenSpec of(Path file, IoEngine engine) {
        return new OpenSpec(file, null, null, false, false, engine, w -> { }, 0);
    }

    public OpenSpec withForceShare(boolean share) {
        return new OpenSpec(file, format, backing, readOnly, syncWrites, engine, warnings, depth, share, metadata,
                direct);
    }

    public OpenSpec withMetadata(MetadataCacheOptions m) {
        return new OpenSpec(file, format, backing, readOnly, syncWrites, engine, warnings, depth, forceShare, m,
                direct);
    }

    public OpenSpec withDirect(boolean d) {
        return new OpenSpec(file, format, backing, readOnly, syncWrites, engine, warnings, depth, forceShare,
                metadata, d);
    }

    /**
     * How a format opens {@link #file()}: read-only or read-write (O_DSYNC with syncWrites), O_DIRECT if asked,
     * locked unless shared.
     */
    public OpenMode hostMode() {
        OpenMode mode = readOnly ? OpenMode.READ_ONLY : OpenMode.READ_WRITE.withSyncWrites(syncWrites);
        return mode.withLock(!forceShare).withDirect(direct);
    }

    public OpenSpec withFormat(String f) {
        return new OpenSpec(file, f, backing, readOnly, syncWrites, engine, warnings, depth, forceShare,
                metadata, direct);
    }

    public OpenSpec withBacking(Path b) {
        return new OpenSpec(file, format, b, readOnly, syncWrites, engine, warnings, depth, forceShare,
                metadata, direct);
    }

    public OpenSpec withReadOnly(boolean ro) {
        return new OpenSpec(file, format, backing, ro, syncWrites, engine, warnings, depth, forceShare,
                metadata, direct);
    }

    public OpenSpec withSyncWrites(boolean sync) {
        return new OpenSpec(file, format, backing, readOnly, sync, engine, warnings, depth, forceShare,
                metadata, direct);
    }

    public OpenSpec withEngine(IoEngine e) {
        return new OpenSpec(file, format, backing, readOnly, syncWrites, e, warnings, depth, forceShare,
                metadata, direct);
    }

    public OpenSpec withWarnings(Consumer<String> w) {
        return new OpenSpec(file, format, backing, readOnly, syncWrites, engine, w, depth, forceShare,
                metadata, direct);
    }


    /**
     * The spec for a layer below this one: read-only, probed, its own stored backing path, shared, direct and cached
     * as this one is.
     */
    OpenSpec lower(Path lowerFile) {
        return new OpenSpec(lowerFile, null, null, true, false, engine, warnings, depth + 1, forceShare, metadata,
                direct);
    }
}
