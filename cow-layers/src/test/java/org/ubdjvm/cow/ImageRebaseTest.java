package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.SyncEngine;

/** {@code ubd rebase}: a new backing file under an image, which reads the same unless -u says not to care. */
class ImageRebaseTest {
    private static final FormatTable TABLE = FormatTable.standard();
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path cowOver(Path backing, String name, String version, long seed) throws IOException {
        Path cow = dir.resolve(name);
        TABLE.create(CreateSpec.of(cow, "cow").withBacking(backing).withOption("version", version));
        Random random = new Random(seed);
        try (SyncEngine engine = new SyncEngine(); BlockImage image = TABLE.open(OpenSpec.of(cow, engine))) {
            for (int i = 0; i < 50; i++) {
                byte[] data = new byte[(1 + random.nextInt(16)) * 512];
                random.nextBytes(data);
                BlockIo.write(image, random.nextInt((int) (image.capacity() / 512) - 16) * 512L, ByteBuffer.wrap(data));
            }
        }
        return cow;
    }

    private void rebase(Path file, Path backing, boolean unsafe) throws IOException {
        try (SyncEngine engine = new SyncEngine()) {
            new ImageRebase(file, null, backing, null, unsafe).run(TABLE, engine, w -> { }, ProgressListener.NONE);
        }
    }

    private static String storedBacking(Path cow) throws IOException {
        try (SyncEngine engine = new SyncEngine(); BlockImage image = TABLE.open(OpenSpec.of(cow, engine).withReadOnly(true))) {
            return image.info().backingFilename();
        }
    }

    /**
     * Off the middle of a chain onto its base: the top takes what the middle held, reads the same, and no longer needs
     * the middle. (Broken on purpose once, by skipping the copy: the top read the base where the middle had data.)
     */
    @Test
    void safeRebaseOntoTheBaseKeepsTheDisk() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 2 * MIB);
        Path mid = cowOver(back, "mid.cow", "3", 1);
        Path top = cowOver(mid, "top.cow", "3", 2);
        byte[] before = ImageCommitTest.disk(top);
        rebase(top, back, false);
        assertEquals(back.toString(), storedBacking(top));
        Files.delete(mid);
        assertArrayEquals(before, ImageCommitTest.disk(top));
    }

    /** Onto an unrelated disk of the same size: every sector the top did not hold is copied up. */
    @Test
    void safeRebaseOntoOtherBytesKeepsTheDisk() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), MIB);
        Path top = cowOver(back, "top.cow", "1", 3);
        byte[] before = ImageCommitTest.disk(top);
        Path other = dir.resolve("other.img");
        Files.write(other, new byte[MIB]);
        rebase(top, other, false);
        assertArrayEquals(before, ImageCommitTest.disk(top));
        assertEquals(other.toString(), storedBacking(top));
    }

    /** -u only changes the name: over a copy it reads the same; over other bytes it reads them where it holds nothing. */
    @Test
    void unsafeRebaseOnlyChangesTheHeader() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), MIB);
        Path top = cowOver(back, "top.cow", "3", 4);
        byte[] before = ImageCommitTest.disk(top);
        long cowLength = Files.size(top);
        Path copy = Files.copy(back, dir.resolve("copy.img"));
        rebase(top, copy, true);
        assertArrayEquals(before, ImageCommitTest.disk(top));
        assertEquals(cowLength, Files.size(top), "nothing copied");
        Path zeros = dir.resolve("zeros.img");
        Files.write(zeros, new byte[MIB]);
        rebase(top, zeros, true);
        assertFalse(Arrays.equals(before, ImageCommitTest.disk(top)));
    }

    @Test
    void aBackingOfAnotherSizeOrALoopIsRefusedAndNothingChanges() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), MIB);
        Path top = cowOver(back, "top.cow", "3", 5);
        Path over = cowOver(top, "over.cow", "3", 6);
        Path small = Disks.patternedRaw(dir.resolve("small.img"), MIB / 2);
        byte[] file = Files.readAllBytes(top);
        ImageException size = assertThrows(ImageException.class, () -> rebase(top, small, false));
        assertTrue(size.getMessage().contains("has a 524288-byte disk, this image's has 1048576"), size.getMessage());
        ImageException loop = assertThrows(ImageException.class, () -> rebase(top, over, true));
        assertTrue(loop.getMessage().endsWith("reads through this image: a loop"), loop.getMessage());
        assertArrayEquals(file, Files.readAllBytes(top));
    }

    /** A V2 header keeps the name in sector 0 and the mtime in sector 8: no atomic rewrite, so it is refused. */
    @Test
    void aV2HeaderCannotBeRewrittenAtomicallyAndIsLeftAlone() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), MIB);
        Files.setLastModifiedTime(back, java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_000L)); // copy's differs
        Path top = cowOver(back, "top.cow", "2", 7);
        Path copy = Files.copy(back, dir.resolve("copy.img"));
        byte[] file = Files.readAllBytes(top);
        ImageException e = assertThrows(ImageException.class, () -> rebase(top, copy, true));
        assertTrue(e.getMessage().contains("cannot rewrite the V2 header atomically") && e.getMessage().contains(
                "its backing name at byte 8 and the backing's mtime at byte 4104 both change; version 3 keeps them in"
                        + " one sector); ubd convert -O cow -B BACKING makes such a layer afresh"), e.getMessage());
        assertArrayEquals(file, Files.readAllBytes(top));
    }
}
