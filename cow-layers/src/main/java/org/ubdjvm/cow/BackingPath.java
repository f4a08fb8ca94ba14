package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How backing file names are written into and read out of COW headers. A name a protocol layer of the table claims
 * (an NBD URI) is a location, not a host file: stored in the protocol's own form, never resolved as a path, and
 * compared by that form.
 */
final class BackingPath {
    private BackingPath() {
    }

    /**
     * The absolute name uml_mkcow stores: the directory part resolved (it does chdir + getcwd, so symlinked
     * directories are resolved) and the final name kept as given, even when it is a symlink.
     */
    static String absoluteLikeUmlMkcow(Path backing) throws ImageException {
        Path abs = backing.toAbsolutePath();
        Path name = abs.getFileName();
        Path dir = abs.getParent();
        if (name == null || dir == null) {
            throw new ImageException(backing, "not a file name");
        }
        try {
            return dir.toRealPath().resolve(name.toString()).toString();
        } catch (IOException e) {
            throw new ImageException(backing, "cannot resolve the directory of the backing file: " + e.getMessage());
        }
    }

    /** The name a header stores for {@code backing}: a protocol layer's form of its location, else uml_mkcow's. */
    static String stored(Path backing, FormatTable table) throws ImageException {
        String location = table.protocolLocation(backing.toString());
        return location != null ? location : absoluteLikeUmlMkcow(backing);
    }

    /** Whether {@code backing} is a location a protocol layer claims: no file, no mtime. */
    static boolean remote(Path backing, FormatTable table) {
        return table.protocolFor(backing.toString()) != null;
    }

    /** The same backing: the same protocol location, or the same host file. */
    static boolean sameBacking(Path a, Path b, FormatTable table) {
        String location = table.protocolLocation(a.toString());
        return location != null ? location.equals(table.protocolLocation(b.toString())) : sameFile(a, b);
    }

    /** The kernel's test before switching: the same file (device and inode), however it is named. */
    static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A stored name as a path; a relative one is taken relative to the COW file's directory, a protocol location as
     * it is.
     */
    static Path resolveStored(Path cowFile, String stored, FormatTable table) {
        Path p = Path.of(stored);
        return remote(p, table) ? p : resolveStored(cowFile, stored);
    }

    /** A stored name of a host file (a HEADER's data file): a relative one is taken from the COW file's directory. */
    static Path resolveStored(Path cowFile, String stored) {
        Path p = Path.of(stored);
        if (p.isAbsolute()) {
            return p;
        }
        Path dir = cowFile.toAbsolutePath().getParent();
        return dir == null ? p : dir.resolve(p);
    }
}
