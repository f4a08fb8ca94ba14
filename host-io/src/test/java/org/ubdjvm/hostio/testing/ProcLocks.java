package org.ubdjvm.hostio.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The record locks the kernel lists in {@code /proc/locks} for one file: what another program would run into. */
public final class ProcLocks {
    /** One line of {@code /proc/locks}: kind POSIX, OFDLCK or FLOCK; type READ or WRITE; the holder's pid. */
    public record Lock(String kind, String type, long pid) {
    }

    private ProcLocks() {
    }

    /**
     * The locks held (not waited for) on {@code file}'s inode. Matched by inode number only: the device number the
     * kernel prints is the superblock's, which need not be what stat(2) reports (btrfs, overlayfs).
     */
    public static List<Lock> on(Path file) throws IOException {
        long inode = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
        List<Lock> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
            String[] f = line.trim().split("\\s+");
            // "1: POSIX  ADVISORY  WRITE 11305 fe:00:2147144 0 EOF"; waiters have "->" after the number
            if (f.length < 8 || f[1].equals("->")) {
                continue;
            }
            String[] id = f[5].split(":");
            if (id.length == 3 && Long.parseLong(id[2]) == inode) {
                out.add(new Lock(f[1], f[3], Long.parseLong(f[4])));
            }
        }
        return out;
    }

    /** The locks on {@code file} held by process {@code pid}. */
    public static List<Lock> heldBy(Path file, long pid) throws IOException {
        return on(file).stream().filter(l -> l.pid() == pid).toList();
    }
}
