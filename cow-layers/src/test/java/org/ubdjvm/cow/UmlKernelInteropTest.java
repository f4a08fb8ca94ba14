package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.RealTools;
import org.ubdjvm.cow.testing.SharedVectors;
import org.ubdjvm.cow.testing.UmlKernel;
import org.ubdjvm.hostio.SyncEngine;

/** The real UML kernel reads what ubd-jvm writes, writes what ubd-jvm reads, and refuses what ubd-jvm refuses. */
class UmlKernelInteropTest {
    private static final FormatTable TABLE = FormatTable.standard();
    /** ext2 superblock at byte 1024; s_mnt_count (u16 LE) 52 bytes into it. */
    private static final int MNT_COUNT_OFFSET = 1024 + 52;

    @TempDir
    Path dir;

    private static byte[] wholeDisk(Path file, Path backing) throws IOException {
        try (BlockImage image = TABLE.open(OpenSpec.of(file, new SyncEngine()).withReadOnly(true).withBacking(backing))) {
            ByteBuffer all = ByteBuffer.allocate((int) image.capacity());
            BlockIo.read(image, 0, all);
            return all.array();
        }
    }

    private static int mountCount(byte[] disk) {
        return ByteBuffer.wrap(disk, MNT_COUNT_OFFSET, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
    }

    @Test
    void theKernelWritesIntoACowFileWeMadeAndWeReadItsWrites() throws Exception {
        SharedVectors.copyTo(dir, "back-ext2-512k.img");
        Path back = dir.resolve("back-ext2-512k.img");
        Path cow = dir.resolve("ours.cow");
        TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(back));
        int before = mountCount(Files.readAllBytes(back));

        String log = UmlKernel.boot(dir, cow.getFileName() + "," + back.getFileName(), true);
        assertTrue(log.contains("VFS: Mounted root (ext2 filesystem) on device"), log);

        byte[] disk = wholeDisk(cow, null);
        assertEquals(before + 1, mountCount(disk), "the kernel's superblock write is what we read");
        byte[] raw = Files.readAllBytes(cow);
        assertEquals(0x0C, raw[8192] & 0xFF, "the kernel set bits 2 and 3 (the superblock's sectors), as our reader sees");
        try (BlockImage image = TABLE.open(OpenSpec.of(cow, new SyncEngine()).withReadOnly(true))) {
            assertEquals(2 * 512L, image.info().allocatedBytes());
        }
        Path merged = dir.resolve("merged.img");
        Files.write(merged, disk);
        Path e2fsck = RealTools.require("e2fsck", "e2fsprogs");
        RealTools.Run fsck = RealTools.run(dir, 60, e2fsck.toString(), "-fn", merged.toString());
        assertEquals(0, fsck.exitCode(), "e2fsck -fn on the merged disk:\n" + fsck.stdout() + fsck.stderr());
    }

    @Test
    void theKernelMountsAnExt2WeWroteIntoACowOverZeros() throws Exception {
        SharedVectors.copyTo(dir, "back-ext2-512k.img");
        byte[] fs = Files.readAllBytes(dir.resolve("back-ext2-512k.img"));
        Path zeros = dir.resolve("zeros.img");
        Files.write(zeros, new byte[fs.length]);
        Path cow = dir.resolve("fs.cow");
        TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(zeros));
        int pages = 0;
        try (BlockImage image = TABLE.open(OpenSpec.of(cow, new SyncEngine()))) {
            // Whole 4 KiB pages only: the 6.1 kernel misreads a page that mixes COW and backing sectors.
            for (int off = 0; off < fs.length; off += 4096) {
                byte[] page = Arrays.copyOfRange(fs, off, off + 4096);
                if (!Arrays.equals(page, new byte[4096])) {
                    BlockIo.write(image, off, ByteBuffer.wrap(page));
                    pages++;
                }
            }
        }
        assertTrue(pages > 1 && pages < fs.length / 4096, "some pages come from the COW, some from the zero backing");
        String log = UmlKernel.boot(dir, cow.getFileName() + "," + zeros.getFileName(), false);
        assertTrue(log.contains("VFS: Mounted root (ext2 filesystem) readonly on device"), log);
    }

    @Test
    void theKernelRefusesACowWeHoldWithItsOwnLockMessage() throws Exception {
        SharedVectors.copyTo(dir, "back-ext2-512k.img");
        Path back = dir.resolve("back-ext2-512k.img");
        Path cow = dir.resolve("held.cow");
        TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(back));
        try (BlockImage held = TABLE.open(OpenSpec.of(cow, new SyncEngine()))) {
            String log = UmlKernel.boot(dir, "held.cow," + back.getFileName(), true);
            assertTrue(log.contains("F_SETLK failed, file already locked by pid " + ProcessHandle.current().pid()), log);
            assertTrue(log.contains("Failed to lock 'held.cow', err = 11"), log);
        }
    }

    @Test
    void theKernelAndWeRefuseMismatchedBackingsInTheSameWords() throws Exception {
        SharedVectors.copyTo(dir, "broken-size-mismatch.cow", "broken-mtime-mismatch.cow", "back-256k.img");
        for (String[] c : new String[][] {
                {"broken-size-mismatch.cow", "Size mismatch (262656 vs 262144) of COW header vs backing file"},
                {"broken-mtime-mismatch.cow", "mtime mismatch (1600000000 vs 1700000000) of COW header vs backing file"}}) {
            Path cow = dir.resolve(c[0]);
            String md5 = SharedVectors.md5(cow);
            String log = UmlKernel.boot(dir, c[0] + ",back-256k.img", false);
            assertTrue(log.contains(c[1]), "kernel said:\n" + log);
            // errno is 22 where the header's own backing path exists (where the vectors were made), else 2: after a
            // failed check of the named backing the kernel falls back to the path in the header
            assertTrue(log.contains("Failed to open '" + c[0] + "', errno = "), log);
            ImageException ours = assertThrows(ImageException.class, () ->
                    TABLE.open(OpenSpec.of(cow, new SyncEngine()).withBacking(dir.resolve("back-256k.img"))).close());
            assertTrue(ours.getMessage().contains(c[1]), ours.getMessage());
            assertEquals(md5, SharedVectors.md5(cow), "neither the kernel nor we changed " + c[0]);
        }
    }
}
