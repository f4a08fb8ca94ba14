package org.ubdjvm.cow.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Boots the real {@code linux.uml} without an init: it opens the ubd device, mounts the root filesystem (writing
 * its superblock when mounted rw) and stops with "No working init found" (exit 134). That is enough to prove what
 * the kernel reads and writes, and it avoids guest userspace, which dies on hosts with AMX xstate.
 */
public final class UmlKernel {
    private static final long BOOT_TIMEOUT_SECONDS = 30;

    private UmlKernel() {
    }

    /** Boots with {@code ubdb=<ubd>} as root, in {@code dir}; returns the console log. */
    public static String boot(Path dir, String ubd, boolean rw) throws IOException, InterruptedException {
        return boot(dir, dir, ubd, rw);
    }

    /**
     * {@link #boot(Path, String, boolean)} in {@code dir} (where relative names in {@code ubd} resolve), keeping
     * the kernel's own files (sockets, memory file, log) in {@code scratch}.
     */
    static String boot(Path dir, Path scratch, String ubd, boolean rw) throws IOException, InterruptedException {
        Path linux = RealTools.require("linux.uml", "user-mode-linux");
        Path umlDir = Files.createDirectories(scratch.resolve("uml"));
        Path log = scratch.resolve("kernel-" + System.nanoTime() + ".log");
        String umid = "umid=ubdjvm" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;
        ProcessBuilder pb = new ProcessBuilder(List.of(linux.toString(), "mem=64M", "uml_dir=" + umlDir, umid,
                "con=null", "con0=fd:0,fd:1", "ssl=null", "ubdb=" + ubd, "root=/dev/ubdb", "rootfstype=ext2",
                rw ? "rw" : "ro"))
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("TMPDIR", scratch.toString()); // the guest's memory file goes here, not a shared /tmp
        Process p = pb.start();
        boolean stopped = p.waitFor(BOOT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        p.destroyForcibly().waitFor();
        stopHelpers(umid);
        awaitClosed(log);
        if (!stopped) {
            throw new AssertionError("linux.uml did not stop within " + BOOT_TIMEOUT_SECONDS + " s:\n" + read(log));
        }
        return read(log);
    }

    /**
     * UML's helper threads are processes (clones sharing the kernel's file table, so its file locks too) that can
     * outlive the kernel for a moment, no longer its descendants: find them by their command line, which they
     * share with it, and wait until they are gone.
     */
    private static void stopHelpers(String umid) throws InterruptedException {
        List<ProcessHandle> helpers = ProcessHandle.allProcesses()
                .filter(h -> h.info().arguments().map(args -> List.of(args).contains(umid)).orElse(false))
                .toList();
        helpers.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : helpers) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new AssertionError("a linux.uml helper (pid " + h.pid() + ") did not stop", e);
            }
        }
    }

    /**
     * Waits until no process holds the kernel's console {@code log} open. The kernel and its helpers share one file
     * table, which holds the log (their stdout) and the disk images with the kernel's locks on them, so while any of
     * them holds the log, the locks stand. A helper found too late by {@link #stopHelpers} is one already exiting: it
     * has let go of its memory (so its command line reads empty) but not yet of its files (seen under load: the next
     * open of the COW failed with "pid N holds a write lock").
     */
    private static void awaitClosed(Path log) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String holder;
        while ((holder = holderOf(log)) != null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("a linux.uml process still holds its files 10 s after the kernel stopped: "
                        + holder);
            }
            Thread.sleep(10);
        }
    }

    /** {@code pid N} of a process with {@code file} open, or null when there is none. */
    private static String holderOf(Path file) {
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            return null;
        }
        try (var pids = Files.list(Path.of("/proc"))) {
            for (Path proc : pids.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try (var fds = Files.list(proc.resolve("fd"))) {
                    for (Path fd : fds.toList()) {
                        if (Files.readSymbolicLink(fd).equals(real)) {
                            return "pid " + proc.getFileName();
                        }
                    }
                } catch (IOException gone) {
                    // the process or the descriptor went meanwhile
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static String read(Path log) throws IOException {
        return new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1).replace("\r", "");
    }
}
