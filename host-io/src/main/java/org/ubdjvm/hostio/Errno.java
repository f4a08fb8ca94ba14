package org.ubdjvm.hostio;

import java.util.Map;

/**
 * Linux errno values, the one place their numbers are written (x86_64 and every common architecture agree on
 * these), with the names users grep for ({@code EIO}, {@code ENOSPC}) with glibc's text. A table of our own
 * rather than {@code strerror(3)}: it is the same on every thread and needs no native call on an error path.
 */
public final class Errno {
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int ENXIO = 6;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EFAULT = 14;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int ENODEV = 19;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int ENFILE = 23;
    static final int EMFILE = 24;
    static final int EFBIG = 27;
    static final int ENOSPC = 28;
    static final int ESPIPE = 29;
    static final int EROFS = 30;
    static final int ENOSYS = 38;
    static final int ETIME = 62;
    static final int EOVERFLOW = 75;
    static final int EOPNOTSUPP = 95;
    /** A request was not answered in time (the driver's request timeout); public for the layers above. */
    public static final int ETIMEDOUT = 110;
    static final int ESTALE = 116;
    static final int EDQUOT = 122;
    /** A request was given up on before the kernel answered; public for the layers above. */
    public static final int ECANCELED = 125;

    private record Entry(String name, String text) {
    }

    private static final Map<Integer, Entry> TABLE = Map.ofEntries(
            Map.entry(EPERM, new Entry("EPERM", "Operation not permitted")),
            Map.entry(ENOENT, new Entry("ENOENT", "No such file or directory")),
            Map.entry(EINTR, new Entry("EINTR", "Interrupted system call")),
            Map.entry(EIO, new Entry("EIO", "Input/output error")),
            Map.entry(ENXIO, new Entry("ENXIO", "No such device or address")),
            Map.entry(EBADF, new Entry("EBADF", "Bad file descriptor")),
            Map.entry(EAGAIN, new Entry("EAGAIN", "Resource temporarily unavailable")),
            Map.entry(ENOMEM, new Entry("ENOMEM", "Cannot allocate memory")),
            Map.entry(EACCES, new Entry("EACCES", "Permission denied")),
            Map.entry(EFAULT, new Entry("EFAULT", "Bad address")),
            Map.entry(EBUSY, new Entry("EBUSY", "Device or resource busy")),
            Map.entry(EEXIST, new Entry("EEXIST", "File exists")),
            Map.entry(ENODEV, new Entry("ENODEV", "No such device")),
            Map.entry(EISDIR, new Entry("EISDIR", "Is a directory")),
            Map.entry(EINVAL, new Entry("EINVAL", "Invalid argument")),
            Map.entry(ENFILE, new Entry("ENFILE", "Too many open files in system")),
            Map.entry(EMFILE, new Entry("EMFILE", "Too many open files")),
            Map.entry(EFBIG, new Entry("EFBIG", "File too large")),
            Map.entry(ENOSPC, new Entry("ENOSPC", "No space left on device")),
            Map.entry(ESPIPE, new Entry("ESPIPE", "Illegal seek")),
            Map.entry(EROFS, new Entry("EROFS", "Read-only file system")),
            Map.entry(ENOSYS, new Entry("ENOSYS", "Function not implemented")),
            Map.entry(ETIME, new Entry("ETIME", "Timer expired")),
            Map.entry(EOVERFLOW, new Entry("EOVERFLOW", "Value too large for defined data type")),
            Map.entry(EOPNOTSUPP, new Entry("EOPNOTSUPP", "Operation not supported")),
            Map.entry(ETIMEDOUT, new Entry("ETIMEDOUT", "Connection timed out")),
            Map.entry(ESTALE, new Entry("ESTALE", "Stale file handle")),
            Map.entry(EDQUOT, new Entry("EDQUOT", "Disk quota exceeded")),
            Map.entry(ECANCELED, new Entry("ECANCELED", "Operation canceled")));

    private Errno() {
    }

    /** {@code "EIO (Input/output error)"}, or {@code "errno 200"} for a value not in the table. */
    public static String describe(int errno) {
        Entry e = TABLE.get(errno);
        return e == null ? "errno " + errno : e.name() + " (" + e.text() + ")";
    }

    /**
     * A host's reason with its errno name: the JDK reports errors as glibc's text alone ("No space left on device"),
     * which users cannot grep for; this gives {@code "ENOSPC (No space left on device)"}. Other text is returned as is.
     */
    public static String describeText(String text) {
        if (text == null) {
            return null;
        }
        for (Entry e : TABLE.values()) {
            if (e.text().equalsIgnoreCase(text.strip())) {
                return e.name() + " (" + e.text() + ")";
            }
        }
        return text;
    }

    /** {@code "EIO"}, or {@code "errno 200"}. */
    static String name(int errno) {
        Entry e = TABLE.get(errno);
        return e == null ? "errno " + errno : e.name();
    }
}
