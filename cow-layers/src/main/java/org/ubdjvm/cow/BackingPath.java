package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** How backing file names are written into and read out of COW headers. */
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

    /** The kernel's test before switching: the same file (device and inode), however it is named. */
    static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /** A stored name as a path; a relative one is taken relative to the COW file's directory. */
    static Path resolveStored(Path cowFile, String stored) {
        Path p = Path.of(stored);
        if (p.isAbsolute()) {
            return p;
        }
        Path dir = cowFile.toAbsolutePath().getParent();
        return dir == null ? p : dir.resolve(p);
    }
}
