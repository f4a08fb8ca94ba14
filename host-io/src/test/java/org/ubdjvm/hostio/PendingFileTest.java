package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new file never has its final name until it is complete; an unfinished one is removed on failure, on a signal,
 * and (when a kill -9 left it) by the next pending file in its directory.
 */
class PendingFileTest {
    @TempDir
    Path dir;

    @Test
    void theFinalNameAppearsOnlyAtCommitAndNeverReplacesAFile() throws Exception {
        Path target = dir.resolve("new.img");
        try (PendingFile p = PendingFile.beside(target, "create")) {
            assertEquals(dir.resolve(".new.img.ubd-create-" + ProcessHandle.current().pid()), p.path());
            Files.write(p.path(), new byte[] {1, 2, 3});
            assertFalse(Files.exists(target));
            p.commit(false);
        }
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target));
        assertEquals(List.of("new.img"), names());

        try (PendingFile p = PendingFile.beside(target, "create")) {
            Files.write(p.path(), new byte[] {9});
            HostIoException e = assertThrows(HostIoException.class, () -> p.commit(false));
            assertEquals(target + ": already exists; a new file never replaces it", e.getMessage());
        }
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target), "the file there is untouched");
        assertEquals(List.of("new.img"), names(), "and the unfinished one is gone");
    }

    @Test
    void replacingCommitAndAFailureBeforeCommit() throws Exception {
        Path target = Files.write(dir.resolve("out.img"), new byte[] {1});
        try (PendingFile p = PendingFile.beside(target, "convert")) {
            Files.write(p.path(), new byte[] {2});
        } // no commit: a failure
        assertArrayEquals(new byte[] {1}, Files.readAllBytes(target));
        assertEquals(List.of("out.img"), names());
        try (PendingFile p = PendingFile.beside(target, "convert")) {
            Files.write(p.path(), new byte[] {3});
            p.commit(true);
        }
        assertArrayEquals(new byte[] {3}, Files.readAllBytes(target));
        assertEquals(List.of("out.img"), names());
    }

    @Test
    void leftoversOfDeadProcessesGoLiveOnesStay() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path dead = Files.write(dir.resolve(".big.img.ubd-convert-" + gone.pid()), new byte[1]);
        Path live = Files.write(dir.resolve(".other.img.ubd-create-" + ProcessHandle.current().pid()), new byte[1]);
        Path mine = Files.write(dir.resolve("plain.ubd-convert-" + gone.pid()), new byte[1]); // not hidden: not ours
        PendingFile.beside(dir.resolve("x.img"), "create").close();
        assertFalse(Files.exists(dead), "a dead process's temporary is removed");
        assertTrue(Files.exists(live) && Files.exists(mine));
    }

    /** SIGTERM runs the shutdown hook, which removes the unfinished file; SIGKILL cannot, the next sweep does. */
    @Test
    void aSignalRemovesTheUnfinishedFileAndAKillIsSweptUpLater() throws Exception {
        Path target = dir.resolve("signalled.img");
        Process child = holder(target);
        Path temporary = dir.resolve(".signalled.img.ubd-create-" + child.pid());
        assertTrue(Files.exists(temporary));
        child.destroy(); // SIGTERM
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertEquals(List.of(), names());

        Path killedDir = Files.createDirectory(dir.resolve("killed"));
        Process killed = holder(killedDir.resolve("killed.img"));
        killed.destroyForcibly(); // SIGKILL
        assertTrue(killed.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, Files.list(killedDir).count(), "a kill -9 leaves the temporary");
        PendingFile.beside(killedDir.resolve("next.img"), "create").close();
        assertEquals(0, Files.list(killedDir).count(), "the next pending file there removes it");
    }

    /** A JVM that starts a pending file for {@code target}, writes it, says so, and waits to be signalled. */
    private static Process holder(Path target) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), PendingFileHolder.class.getName(), target.toString())
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        return p;
    }

    private List<String> names() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
