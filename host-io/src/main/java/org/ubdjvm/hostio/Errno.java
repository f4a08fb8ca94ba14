package org.ubdjvm.hostio;

import java.util.Map;

/**
 * Linux errno values as the names users grep for ({@code EIO}, {@code ENOSPC}) with glibc's text. A table of our own
 * rather than {@code strerror(3)}: it is the same on every thread and needs no native call on an error path.
 */
final class Errno {
    private record Entry(String name, String text) {
    }

    private static final Map<Integer, Entry> TABLE = Map.ofEntries(
            Map.entry(1, new Entry("EPERM", "Operation not permitted")),
            Map.entry(2, new Entry("ENOENT", "No such file or directory")),
            Map.entry(4, new Entry("EINTR", "Interrupted system call")),
            Map.entry(5, new Entry("EIO", "Input/output error")),
            Map.entry(6, new Entry("ENXIO", "No such device or address")),
            Map.entry(9, new Entry("EBADF", "Bad file descriptor")),
            Map.entry(11, new Entry("EAGAIN", "Resource temporarily unavailable")),
            Map.entry(12, new Entry("ENOMEM", "Cannot allocate memory")),
            Map.entry(13, new Entry("EACCES", "Permission denied")),
            Map.entry(14, new Entry("EFAULT", "Bad address")),
            Map.entry(16, new Entry("EBUSY", "Device or resource busy")),
            Map.entry(17, new Entry("EEXIST", "File exists")),
            Map.entry(19, new Entry("ENODEV", "No such device")),
            Map.entry(21, new Entry("EISDIR", "Is a directory")),
            Map.entry(22, new Entry("EINVAL", "Invalid argument")),
            Map.entry(23, new Entry("ENFILE", "Too many open files in system")),
            Map.entry(24, new Entry("EMFILE", "Too many open files")),
            Map.entry(27, new Entry("EFBIG", "File too large")),
            Map.entry(28, new Entry("ENOSPC", "No space left on device")),
            Map.entry(29, new Entry("ESPIPE", "Illegal seek")),
            Map.entry(30, new Entry("EROFS", "Read-only file system")),
            Map.entry(38, new Entry("ENOSYS", "Function not implemented")),
            Map.entry(62, new Entry("ETIME", "Timer expired")),
            Map.entry(75, new Entry("EOVERFLOW", "Value too large for defined data type")),
            Map.entry(95, new Entry("EOPNOTSUPP", "Operation not supported")),
            Map.entry(110, new Entry("ETIMEDOUT", "Connection timed out")),
            Map.entry(116, new Entry("ESTALE", "Stale file handle")),
            Map.entry(122, new Entry("EDQUOT", "Disk quota exceeded")),
            Map.entry(125, new Entry("ECANCELED", "Operation canceled")));

    private Errno() {
    }

    /** {@code "EIO (Input/output error)"}, or {@code "errno 200"} for a value not in the table. */
    static String describe(int errno) {
        Entry e = TABLE.get(errno);
        return e == null ? "errno " + errno : e.name() + " (" + e.text() + ")";
    }

    /** {@code "EIO"}, or {@code "errno 200"}. */
    static String name(int errno) {
        Entry e = TABLE.get(errno);
        return e == null ? "errno " + errno : e.name();
    }
}
