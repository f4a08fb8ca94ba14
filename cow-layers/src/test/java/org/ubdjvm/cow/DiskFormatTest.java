package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.SyncEngine;

/** DISK and HEADER as users make and open them: geometry kept, data copied or shared, every refusal one line. */
class DiskFormatTest {
    private static final long SIZE = 1 << 20;
    private final FormatTable table = FormatTable.standard();
    private final SyncEngine engine = new SyncEngine();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        engine.close();
    }

    private BlockImage open(Path file, boolean readOnly) throws IOException {
        return table.open(OpenSpec.of(file, engine).withReadOnly(readOnly));
    }

    private byte[] readAll(BlockImage image) throws IOException {
        ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(image.capacity()));
        BlockIo.read(image, 0, all);
        return all.array();
    }

    private Path raw() throws IOException {
        return Disks.patternedRaw(dir.resolve("real.img"), SIZE);
    }

    private void create(Path file, String format, Path backing, String... options) throws IOException {
        CreateSpec spec = CreateSpec.of(file, format).withBacking(backing);
        for (String o : options) {
            spec = spec.withOption(o.substring(0, o.indexOf('=')), o.substring(o.indexOf('=') + 1));
        }
        table.create(spec);
    }

    @Test
    void diskCopiesTheImageInAndKeepsItsGeometry() throws IOException {
        Path real = raw();
        Path disk = dir.resolve("real.disk");
        create(disk, DiskFormat.NAME, real, "geometry=32/4/16");
        assertEquals(DiskFormat.NAME, table.probe(OpenSpec.of(disk)).name());
        try (BlockImage image = open(disk, true)) {
            assertArrayEquals(Files.readAllBytes(real), readAll(image));
            ImageInfo info = image.info();
            assertEquals(new DiskGeometry(32, 4, 16), info.geometry());
            assertEquals(new DiskGeometry(32, 4, 16), info.chainGeometry());
            assertEquals(SIZE, info.virtualSize());
            assertEquals(4096L, info.formatSpecific().get("data-offset"));
        }
        assertTrue(table.check(OpenSpec.of(disk, engine), false).clean());
    }

    @Test
    void aGeometryLargerThanTheDiskIsRefusedAndNothingIsLeft() throws IOException {
        Path disk = dir.resolve("big.disk");
        ImageException e = assertThrows(ImageException.class,
                () -> create(disk, DiskFormat.NAME, raw(), "geometry=33/4/16"));
        assertEquals(disk + ": geometry C33H4S16 describes 1081344 bytes, more than the disk's 1048576", e.getMessage());
        assertFalse(Files.exists(disk));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "only real.img");
        }
    }

    @Test
    void headersOfDifferentGeometriesShareOneDataFileAtOnce() throws IOException {
        Path real = raw();
        Path a = dir.resolve("a.header");
        Path b = dir.resolve("b.header");
        create(a, HeaderFormat.NAME, real, "geometry=32/4/16");
        create(b, HeaderFormat.NAME, real, "geometry=16/8/16");
        try (BlockImage ia = open(a, true); BlockImage ib = open(b, true)) {
            assertEquals(new DiskGeometry(32, 4, 16), ia.info().geometry());
            assertEquals(new DiskGeometry(16, 8, 16), ib.info().geometry());
            assertArrayEquals(Files.readAllBytes(real), readAll(ia));
            assertArrayEquals(Files.readAllBytes(real), readAll(ib));
            assertEquals(real.toString(), ia.info().formatSpecific().get("data-file"));
        }
        // a COW over each: two writable stacks over one data file
        create(dir.resolve("a.cow"), UmlCowFormat.NAME, a);
        create(dir.resolve("b.cow"), UmlCowFormat.NAME, b);
        try (BlockImage ca = open(dir.resolve("a.cow"), false); BlockImage cb = open(dir.resolve("b.cow"), false)) {
            BlockIo.write(ca, 0, ByteBuffer.wrap(Disks.sector("top a %d ", 0)));
            BlockIo.write(cb, 0, ByteBuffer.wrap(Disks.sector("top b %d ", 0)));
            assertEquals(new DiskGeometry(32, 4, 16), ca.info().chainGeometry());
            assertEquals(new DiskGeometry(16, 8, 16), cb.info().chainGeometry());
        }
        assertArrayEquals(Disks.sector("back %06d ", 0), Arrays.copyOf(Files.readAllBytes(real), 512));
    }

    @Test
    void writingThroughAHeaderRecordsTheDataMtimeSoItReopens() throws IOException {
        Path real = raw();
        Path h = dir.resolve("rw.header");
        create(h, HeaderFormat.NAME, real);
        Files.setLastModifiedTime(real, FileTime.fromMillis(Files.getLastModifiedTime(real).toMillis() - 10_000));
        assertThrows(ImageException.class, () -> open(h, true)).getMessage();
        assertTrue(table.check(OpenSpec.of(h, engine), true).corruptionsFixed() == 1, "check -r records the mtime");
        try (BlockImage image = open(h, false)) {
            BlockIo.write(image, 4096, ByteBuffer.wrap(Disks.sector("new %d ", 8)));
        }
        open(h, true).close(); // the write moved the data file's mtime; the header recorded it at close
        Files.setLastModifiedTime(real, FileTime.fromMillis(Files.getLastModifiedTime(real).toMillis() + 5_000));
        ImageException changed = assertThrows(ImageException.class, () -> open(h, true));
        assertTrue(changed.getMessage().startsWith(h + ": data file \"" + real + "\" was modified after the header"),
                changed.getMessage());
        assertTrue(table.check(OpenSpec.of(h, engine), true).corruptionsFixed() == 1);
        try (BlockImage image = open(h, true)) {
            ByteBuffer one = ByteBuffer.allocate(512);
            BlockIo.read(image, 4096, one);
            assertArrayEquals(Disks.sector("new %d ", 8), one.array());
        }
    }

    @Test
    void aDataFileOfAnotherLengthIsRefusedNamingTheField() throws IOException {
        Path real = raw();
        Path h = dir.resolve("x.header");
        create(h, HeaderFormat.NAME, real);
        Files.write(real, new byte[512], java.nio.file.StandardOpenOption.APPEND);
        ImageException e = assertThrows(ImageException.class, () -> open(h, true));
        assertEquals(h + ": data file \"" + real + "\" has " + (SIZE + 512) + " bytes, the header records " + SIZE
                + " (header field data_file_size, offset 72)", e.getMessage());
    }

    @Test
    void paddedHeadersFillWhole512ByteUnits() throws IOException {
        Path real = raw();
        Path h = dir.resolve("p.header");
        create(h, HeaderFormat.NAME, real, "pad=on");
        assertEquals(512, Files.size(h));
        Path d = dir.resolve("p.disk");
        create(d, DiskFormat.NAME, real, "pad=on", "alignment=512");
        try (BlockImage image = open(d, true)) {
            assertEquals(512L, image.info().formatSpecific().get("data-offset"));
            assertEquals(true, image.info().formatSpecific().get("padded"));
            assertArrayEquals(Files.readAllBytes(real), readAll(image));
        }
    }

    @Test
    void largeSectorsAndPageAlignment() throws IOException {
        Path d = dir.resolve("big-sectors.disk");
        table.create(CreateSpec.of(d, DiskFormat.NAME).withSize(SIZE).withOption("sector-size", "4096")
                .withOption("alignment", "65536").withOption("geometry", "4/4/16"));
        try (BlockImage image = open(d, false)) {
            assertEquals(4096, image.sectorSize());
            assertEquals(65536L, image.info().formatSpecific().get("data-offset"));
            BlockIo.write(image, SIZE - 4096, ByteBuffer.allocate(4096).put(0, (byte) 7));
        }
        assertEquals(65536 + SIZE, Files.size(d));
        ImageException e = assertThrows(ImageException.class, () -> table.create(CreateSpec.of(dir.resolve("bad.disk"),
                DiskFormat.NAME).withSize(SIZE).withOption("sector-size", "1000")));
        assertEquals(dir.resolve("bad.disk") + ": option sector-size=1000: not a power of two from 512 to 65536",
                e.getMessage());
    }

    @Test
    void aDamagedHeaderIsRefusedByItsChecksum() throws IOException {
        Path d = dir.resolve("damaged.disk");
        create(d, DiskFormat.NAME, raw(), "geometry=32/4/16");
        byte[] bytes = Files.readAllBytes(d);
        bytes[DiskHeader.CYL_AT + 3] ^= 1;
        Files.write(d, bytes);
        ImageException e = assertThrows(ImageException.class, () -> open(d, true));
        assertTrue(e.getMessage().startsWith(d + ": header field header_crc (offset 16): checksum"), e.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(d));
    }

    @Test
    void aTruncatedDiskIsRefusedAndCheckExtendsIt() throws IOException {
        Path d = dir.resolve("short.disk");
        create(d, DiskFormat.NAME, raw());
        try (var ch = Files.newByteChannel(d, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(4096 + SIZE - 512);
        }
        assertEquals(d + ": truncated: the data area ends at " + (4096 + SIZE) + ", the file has " + (4096 + SIZE - 512)
                + " bytes", assertThrows(ImageException.class, () -> open(d, true)).getMessage());
        assertEquals(1, table.check(OpenSpec.of(d, engine), true).corruptionsFixed());
        try (BlockImage image = open(d, true)) {
            assertNull(image.info().backing());
        }
    }
}
