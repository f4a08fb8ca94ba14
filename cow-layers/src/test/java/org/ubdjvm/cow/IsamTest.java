package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.SyncEngine;

/** What ISAM is for, end to end: small files, the same disk as V3, bad entries never followed, huge disks in a small heap. */
class IsamTest {
    private static final FormatTable TABLE = FormatTable.standard();

    @TempDir
    Path dir;

    private static BlockImage open(Path file) throws IOException {
        return TABLE.open(OpenSpec.of(file, new SyncEngine()));
    }

    /**
     * The acceptance case: a 1 GiB backing, 1 MiB written as 256 scattered 4 KiB writes. The ISAM file's apparent
     * size stays under 4 MiB (the V3 file is 1 GiB long), and both convert to the same raw disk.
     */
    @Test
    void scatteredWritesKeepTheFileSmallAndConvertLikeV3() throws Exception {
        Path back = dir.resolve("back.img");
        TABLE.create(CreateSpec.of(back, RawFormat.NAME).withSize(1L << 30));
        Path isam = dir.resolve("top.isam");
        Path v3 = dir.resolve("top.cow");
        TABLE.create(CreateSpec.of(isam, IsamFormat.NAME).withBacking(back));
        TABLE.create(CreateSpec.of(v3, UmlCowFormat.NAME).withBacking(back));
        Random random = new Random(13);
        try (BlockImage a = open(isam); BlockImage b = open(v3)) {
            for (int i = 0; i < 256; i++) {
                long at = random.nextLong((1L << 30) / 4096) * 4096;
                byte[] data = new byte[4096];
                random.nextBytes(data);
                BlockIo.write(a, at, ByteBuffer.wrap(data));
                BlockIo.write(b, at, ByteBuffer.wrap(data));
            }
        }
        long size = Files.size(isam);
        assertTrue(size < 4L << 20, "ISAM file of " + size + " bytes for 1 MiB written");
        assertTrue(TABLE.check(OpenSpec.of(isam, new SyncEngine()), false).clean());
        Path fromIsam = dir.resolve("isam.raw");
        Path fromV3 = dir.resolve("v3.raw");
        try (BlockImage a = open(isam); BlockImage b = open(v3)) {
            ImageCopy.convert(a, fromIsam, RawFormat.NAME, TABLE, new SyncEngine(), w -> { });
            ImageCopy.convert(b, fromV3, RawFormat.NAME, TABLE, new SyncEngine(), w -> { });
        }
        assertEquals(-1, Files.mismatch(fromV3, fromIsam), "convert -O raw of the ISAM and of the V3 COW differ at that byte");
    }

    /**
     * Entries pointing at another unit's data, past the file, into the header or at an index page: check names each,
     * and a read of that unit fails with an ImageException naming the entry (other units still read), file untouched.
     */
    @Test
    void aCorruptEntryIsFoundByCheckAndNeverFollowed() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 256 * 1024);
        Path isam = dir.resolve("bad.isam");
        TABLE.create(CreateSpec.of(isam, IsamFormat.NAME).withBacking(back));
        try (BlockImage image = open(isam)) {
            BlockIo.write(image, 0, ByteBuffer.wrap(Disks.sector("unit %06d ", 0)));
            BlockIo.write(image, 7 * 512, ByteBuffer.wrap(Disks.sector("unit %06d ", 7)));
        }
        byte[] good = Files.readAllBytes(isam);
        ByteBuffer file = ByteBuffer.wrap(good);
        long indexPage = file.getLong((int) IsamHeader.DIR_OFFSET);
        long entry0 = indexPage;
        long entry7 = indexPage + 7 * 8;
        long dataOf0 = file.getLong((int) entry0);
        for (long[] bad : new long[][] {{dataOf0, 'S'}, {good.length + 4096L * 100, 'P'}, {512, 'H'}, {indexPage, 'I'}}) {
            byte[] corrupt = good.clone();
            ByteBuffer.wrap(corrupt).putLong((int) entry7, bad[0]);
            Files.write(isam, corrupt);
            String what = "entry of unit 7 set to " + bad[0] + " (" + (char) bad[1] + ")";
            CheckReport report = TABLE.check(OpenSpec.of(isam, new SyncEngine()), false);
            assertEquals(1, report.corruptions(), what + ": " + report.messages());
            assertTrue(report.messages().get(0).contains("index entry of unit 7 (offset " + entry7 + ") points at " + bad[0]),
                    what + ": " + report.messages());
            try (BlockImage image = TABLE.open(OpenSpec.of(isam, new SyncEngine()).withReadOnly(true))) {
                ImageException e = assertThrows(ImageException.class, () -> BlockIo.read(image, 0, ByteBuffer.allocate(4096)));
                assertTrue(e.getMessage().contains("index entry of unit 7 (offset " + entry7 + ")")
                        && e.getMessage().contains("not followed"), what + ": " + e.getMessage());
                ByteBuffer unit0 = ByteBuffer.allocate(512);
                BlockIo.read(image, 0, unit0);
                assertArrayEquals(Disks.sector("unit %06d ", 0), unit0.array(), "unit 0 still reads");
            }
            assertArrayEquals(corrupt, Files.readAllBytes(isam), what + ": the file changed");
        }
        assertTrue(TABLE.check(OpenSpec.of(isam, new SyncEngine()), false).corruptions() > 0);
        Files.write(isam, good);
        assertTrue(TABLE.check(OpenSpec.of(isam, new SyncEngine()), false).clean());
    }

    /**
     * A UML COW over an ISAM whose file would be exactly as long as its disk (73 sectors of a 64 KiB disk: found by
     * the stateful property): a COW reader opens such a backing as raw, so the ISAM file is kept one byte longer.
     */
    @Test
    void aCowOverAnIsamAsLongAsItsDiskReadsTheIsam() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        Path isam = dir.resolve("mid.isam");
        TABLE.create(CreateSpec.of(isam, IsamFormat.NAME).withBacking(back));
        byte[] data = new byte[73 * 512];
        new Random(5).nextBytes(data);
        try (BlockImage image = open(isam)) {
            BlockIo.write(image, 0, ByteBuffer.wrap(data, 0, 17 * 512));
            BlockIo.write(image, 17 * 512, ByteBuffer.wrap(data, 17 * 512, 56 * 512));
        }
        assertTrue(Files.size(isam) != 64 * 1024, "the ISAM file is as long as its disk");
        Path top = dir.resolve("top.cow");
        TABLE.create(CreateSpec.of(top, UmlCowFormat.NAME).withBacking(isam));
        try (BlockImage image = open(top)) {
            ByteBuffer got = ByteBuffer.allocate(data.length);
            BlockIo.read(image, 0, got);
            assertArrayEquals(data, got.array(), "the COW reads the ISAM's disk, not its file");
        }
    }

    /** A 2 TiB ISAM over a sparse raw file, in a JVM with a 256 MiB heap: opens, serves random I/O, reopens, checks. */
    @Test
    void aTwoTerabyteDiskWorksInASmallHeap() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                IsamLargeDisk.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("ok"), out);
    }
}
