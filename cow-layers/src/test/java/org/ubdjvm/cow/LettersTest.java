package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.cow.testing.RealTools;
import org.ubdjvm.cow.testing.SharedVectors;
import org.ubdjvm.cow.testing.UmlKernel;
import org.ubdjvm.hostio.SyncEngine;

/**
 * The seed's letters as create options: {@code B} (sector size), the page size of the alignment, {@code P} (padded
 * headers) and {@code L} (backing names stored as given), with the real kernel and uml_moo where they apply.
 */
class LettersTest {
    private static final FormatTable TABLE = FormatTable.standard();
    private static final int MNT_COUNT_OFFSET = 1024 + 52;

    @TempDir
    Path dir;

    private static byte[] wholeDisk(Path file) throws IOException {
        try (SyncEngine engine = new SyncEngine();
             BlockImage image = TABLE.open(OpenSpec.of(file, engine).withReadOnly(true))) {
            ByteBuffer all = ByteBuffer.allocate((int) image.capacity());
            BlockIo.read(image, 0, all);
            return all.array();
        }
    }

    private static ImageInfo info(Path file) throws IOException {
        try (SyncEngine engine = new SyncEngine();
             BlockImage image = TABLE.open(OpenSpec.of(file, engine).withReadOnly(true))) {
            return image.info();
        }
    }

    /** A 64 KiB alignment (a page on any host): the real kernel mounts it rw, and we and uml_moo read its writes. */
    @Test
    void pageAlignmentIsWhatTheKernelAndUmlMooReadToo() throws Exception {
        Path moo = RealTools.require("uml_moo", "uml-utilities");
        SharedVectors.copyTo(dir, "back-ext2-512k.img");
        Path back = dir.resolve("back-ext2-512k.img");
        Path cow = dir.resolve("paged.cow");
        TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(back).withOption("alignment", "65536"));
        assertEquals(65536L, info(cow).formatSpecific().get("bitmap-offset"));
        assertEquals(131072L, info(cow).formatSpecific().get("data-offset"));
        int before = mountCount(Files.readAllBytes(back));

        String log = UmlKernel.boot(dir, cow.getFileName() + "," + back.getFileName(), true);
        assertTrue(log.contains("VFS: Mounted root (ext2 filesystem) on device"), log);
        byte[] ours = wholeDisk(cow);
        assertEquals(before + 1, mountCount(ours), "the kernel's superblock write is what we read");
        Path merged = dir.resolve("merged.img");
        RealTools.run(dir, 30, moo.toString(), cow.toString(), merged.toString()).assertOk("uml_moo");
        assertArrayEquals(Files.readAllBytes(merged), ours, "uml_moo merges what we read");
    }

    /**
     * B: a 4 KiB-sector V3 is made (with a warning) and read by us and uml_moo alike, but the real kernel does not
     * refuse it: it ignores the field and writes 512-byte sectors (the superblock's write sets bits 2 and 3, where a
     * 4 KiB bitmap has one bit for the first 4 KiB), so its writes land where no other reader looks.
     */
    @Test
    void largeSectorsAreWarnedOfBecauseTheKernelReadsEveryCowAs512ByteSectors() throws Exception {
        SharedVectors.copyTo(dir, "back-ext2-512k.img");
        Path back = dir.resolve("back-ext2-512k.img");
        Path cow = dir.resolve("big.cow");
        java.util.List<String> warnings = new java.util.ArrayList<>();
        TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(back).withOption("sector-size", "4096")
                .withWarnings(warnings::add));
        assertEquals(java.util.List.of("warning: sector size 4096: the UML kernel reads every COW file as 512-byte"
                + " sectors and misplaces its writes in this one; give it to ubd and uml_moo only"), warnings);
        assertEquals(4096, info(cow).sectorSize());
        String log = UmlKernel.boot(dir, cow.getFileName() + "," + back.getFileName(), true);
        assertTrue(log.contains("VFS: Mounted root (ext2 filesystem) on device"), log);
        assertEquals(0x0C, Files.readAllBytes(cow)[8192] & 0xFF, "the kernel's 512-byte bits for the superblock");
        assertEquals(mountCount(Files.readAllBytes(back)), mountCount(wholeDisk(cow)),
                "read as 4 KiB sectors, the superblock the kernel wrote is not where its bit says");
    }

    private static int mountCount(byte[] disk) {
        return ByteBuffer.wrap(disk, MNT_COUNT_OFFSET, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
    }

    @Test
    void v3HeadersArePaddedAndV1V2CannotBe() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 256 * 1024);
        Path padded = dir.resolve("padded.cow");
        TABLE.create(CreateSpec.of(padded, UmlCowFormat.NAME).withBacking(back).withOption("pad", "on")
                .withOption("alignment", "512"));
        ImageInfo i = info(padded);
        assertEquals(4608L, i.formatSpecific().get("bitmap-offset"), "the 4128-byte header padded to 512");
        assertEquals(0, (Long) i.formatSpecific().get("data-offset") % 512);
        assertArrayEquals(Files.readAllBytes(back), wholeDisk(padded));
        Path v2 = dir.resolve("v2.cow");
        ImageException e = assertThrows(ImageException.class, () -> TABLE.create(CreateSpec.of(v2, UmlCowFormat.NAME)
                .withBacking(back).withOption("version", "2").withOption("pad", "on")));
        assertEquals(v2 + ": V2 has no alignment: its 4120-byte header is followed directly by the bitmap, so it"
                + " cannot be aligned or padded; use version 3", e.getMessage());
        assertTrue(Files.notExists(v2));
    }

    /**
     * L: through a symlinked directory, the default stores the resolved directory (as uml_mkcow), so moving the
     * files and re-pointing the link loses the backing; the name stored as given still opens.
     */
    @Test
    void aNameKeptAsGivenFollowsARepointedSymlink() throws IOException {
        Path store = Files.createDirectories(dir.resolve("store"));
        Disks.patternedRaw(store.resolve("back.img"), 256 * 1024);
        Path link = Files.createSymbolicLink(dir.resolve("current"), store);
        Path viaLink = link.resolve("back.img");
        Path kept = dir.resolve("kept.cow");
        Path resolved = dir.resolve("resolved.cow");
        TABLE.create(CreateSpec.of(kept, UmlCowFormat.NAME).withBacking(viaLink).withOption("keep-name", "on"));
        TABLE.create(CreateSpec.of(resolved, UmlCowFormat.NAME).withBacking(viaLink));
        assertEquals(viaLink.toString(), info(kept).backingFilename());
        assertEquals(store.toRealPath().resolve("back.img").toString(), info(resolved).backingFilename());

        Path moved = dir.resolve("moved");
        Files.move(store, moved); // rename keeps the mtime the header recorded
        Files.delete(link);
        Files.createSymbolicLink(link, moved);
        assertArrayEquals(Files.readAllBytes(moved.resolve("back.img")), wholeDisk(kept));
        ImageException lost = assertThrows(ImageException.class, () -> wholeDisk(resolved));
        assertTrue(lost.getMessage().contains("no such file"), lost.getMessage());
    }

    /** L with a relative name: stored as given, resolved against the COW's directory, whatever the working one. */
    @Test
    void aRelativeNameIsRelativeToTheCowsDirectory() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("images"));
        Disks.patternedRaw(sub.resolve("back.img"), 256 * 1024);
        Files.createSymbolicLink(sub.resolve("link.img"), sub.resolve("back.img"));
        Path cow = sub.resolve("rel.cow");
        TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(Path.of("link.img"))
                .withOption("keep-name", "on"));
        assertEquals("link.img", info(cow).backingFilename());
        assertTrue(Files.notExists(Path.of("link.img")), "the test's working directory is not the COW's");
        assertArrayEquals(Files.readAllBytes(sub.resolve("back.img")), wholeDisk(cow));
        IOException missing = assertThrows(IOException.class, () -> TABLE.create(CreateSpec.of(
                sub.resolve("none.cow"), UmlCowFormat.NAME).withBacking(Path.of("none.img")).withOption("keep-name", "on")));
        assertEquals(sub.resolve("none.img") + ": cannot open: no such file", missing.getMessage());
    }
}
