package org.ubdjvm.hostio;

/**
 * How a host file is opened.
 *
 * @param readOnly    open O_RDONLY; writes fail with a clear error
 * @param syncWrites  O_DSYNC: every write reaches the device before it completes (the ubd {@code s} flag)
 * @param create      create the file if missing
 * @param exclusive   with create: fail if the file exists (uml_mkcow's O_EXCL)
 * @param direct      O_DIRECT: bypass the page cache; offsets, lengths and buffer addresses must then be aligned to
 *                    the filesystem's block size ({@link HostFile#directAlignment()}), else the request is refused
 * @param lock        take the UML kernel's whole-file POSIX record lock: a write lock when read-write, a read lock
 *                    when read-only; the open is refused when another process holds a conflicting one
 */
public record OpenMode(boolean readOnly, boolean syncWrites, boolean create, boolean exclusive, boolean direct,
                       boolean lock) {
    public OpenMode(boolean readOnly, boolean syncWrites, boolean create, boolean exclusive) {
        this(readOnly, syncWrites, create, exclusive, false, false);
    }

    public OpenMode(boolean readOnly, boolean syncWrites, boolean create, boolean exclusive, boolean direct) {
        this(readOnly, syncWrites, create, exclusive, direct, false);
    }

    public static final OpenMode READ_ONLY = new OpenMode(true, false, false, false);
    public static final OpenMode READ_WRITE = new OpenMode(false, false, false, false);
    public static final OpenMode CREATE_NEW = new OpenMode(false, false, true, true);
    public static final OpenMode CREATE_OR_OPEN = new OpenMode(false, false, true, false);

    public OpenMode {
        if (readOnly && (syncWrites || create)) {
            throw new IllegalArgumentException("read-only open cannot create or sync writes");
        }
    }

    public OpenMode withSyncWrites(boolean sync) {
        return new OpenMode(readOnly, sync, create, exclusive, direct, lock);
    }

    public OpenMode withDirect(boolean d) {
        return new OpenMode(readOnly, syncWrites, create, exclusive, d, lock);
    }

    public OpenMode withLock(boolean l) {
        return new OpenMode(readOnly, syncWrites, create, exclusive, direct, l);
    }
}
