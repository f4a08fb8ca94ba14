package org.ubdjvm.hostio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;

/**
 * What a path names, from stat(2) before anything opens it: {@code open(2)} of a FIFO blocks until a writer comes, a
 * socket cannot be opened at all, and a tty or {@code /dev/urandom} is no disk. Regular files and block devices are
 * disks; of the character devices only {@code /dev/zero} and {@code /dev/null} are, as {@code uml_mkcow} accepts.
 *
 * @param type the {@code S_IFMT} bits of {@code st_mode}
 * @param rdev {@code st_rdev}: which device a device file is
 */
record FileKind(int type, long rdev) {
    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFSOCK = 0140000;
    /** Character device major 1 ("mem"): minor 3 is /dev/null, minor 5 is /dev/zero, wherever their nodes are. */
    private static final long MEM_MAJOR = 1;
    private static final long NULL_MINOR = 3;
    private static final long ZERO_MINOR = 5;

    /** The kind of what {@code path} reaches (links followed), or null when nothing is there yet. */
    static FileKind of(Path path) throws IOException {
        try {
            Map<String, Object> a = Files.readAttributes(path, "unix:mode,rdev");
            return new FileKind((Integer) a.get("mode") & S_IFMT, (Long) a.get("rdev"));
        } catch (NoSuchFileException e) {
            return null;
        } catch (UnsupportedOperationException e) { // no "unix" view: tell only what the basic one knows
            BasicFileAttributes b = Files.readAttributes(path, BasicFileAttributes.class);
            return new FileKind(b.isDirectory() ? S_IFDIR : b.isOther() ? S_IFIFO : 0100000, 0);
        }
    }

    /** Why a file of this kind cannot be an image or a backing file, or null when it can. */
    String refusal() {
        return switch (type) {
            case S_IFDIR -> "is a directory";
            case S_IFIFO -> "is a FIFO (named pipe), not a disk: opening it would wait for a writer";
            case S_IFSOCK -> "is a socket, not a disk";
            case S_IFCHR -> isNullOrZero() ? null
                    : "is a character device, not a disk (of those only /dev/zero and /dev/null are accepted)";
            default -> null;
        };
    }

    /** "is a directory", or null: the one kind nothing can open for I/O. */
    String directoryRefusal() {
        return type == S_IFDIR ? refusal() : null;
    }

    /** glibc's {@code gnu_dev_major}/{@code gnu_dev_minor} decoding of the kernel's dev_t. */
    private boolean isNullOrZero() {
        long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
        long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
        return major == MEM_MAJOR && (minor == NULL_MINOR || minor == ZERO_MINOR);
    }
}
