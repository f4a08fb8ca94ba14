package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.ubdjvm.hostio.testing.CiRule;

/**
 * A 1 MiB tmpfs mounted on a directory, for full and read-only filesystems: real ENOSPC and EROFS from the kernel.
 * Needs root (mount); skips the test elsewhere, fails it under CI=true.
 */
final class SmallTmpfs implements AutoCloseable {
    private final Path dir;

    private SmallTmpfs(Path dir) {
        this.dir = dir;
    }

    static SmallTmpfs mount(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.toString());
        return new SmallTmpfs(dir);
    }

    Path dir() {
        return dir;
    }

    /** Writes a file until the filesystem says ENOSPC. */
    SmallTmpfs fill() throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve("filler"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            ByteBuffer block = ByteBuffer.allocate(4096);
            while (true) {
                ch.write(block.clear());
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) {
                throw full;
            }
        }
        return this;
    }

    /** Remounts it read-only: every write or create there fails with EROFS. */
    SmallTmpfs readOnly() throws IOException, InterruptedException {
        run("mount", "-o", "remount,ro", dir.toString());
        return this;
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            CiRule.skipOrFail(String.join(" ", command) + " failed (needs root): " + said.strip());
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        new ProcessBuilder("umount", dir.toString()).redirectErrorStream(true).start().waitFor();
    }
}
