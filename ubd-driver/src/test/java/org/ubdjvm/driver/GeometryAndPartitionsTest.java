package org.ubdjvm.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.ubdjvm.driver.DeviceCalls.call;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.cow.testing.SfdiskImages;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.queue.RequestOp;

/**
 * A device's geometry (letters, else the image's DISK/HEADER, else the fake one) and its partitions, read from
 * tables the real sfdisk made, compared with what sfdisk reads; partitions as bounded devices of their own.
 */
class GeometryAndPartitionsTest {
    private final SyncEngine engine = new SyncEngine();
    private final List<String> notes = new ArrayList<>();
    private final DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine))
            .withWarnings(notes::add));

    @TempDir
    Path dir;

    @AfterEach
    void close() throws IOException {
        table.close();
        engine.close();
    }


    private void assertSameAsSfdisk(Path raw, UbdDevice d) throws Exception {
        Map<Integer, long[]> expected = SfdiskImages.dump(raw);
        assertEquals(expected.keySet().stream().toList(), d.partitions().partitions().stream()
                .map(Partition::number).toList(), "partition numbers");
        for (Partition p : d.partitions().partitions()) {
            long[] se = expected.get(p.number());
            assertEquals(se[0] * 512, p.start(), "start of " + p.number());
            assertEquals(se[1] * 512, p.length(), "size of " + p.number());
        }
    }

    @Test
    void mbrPrimariesAndLogicalsAreWhatSfdiskReads() throws Exception {
        Path raw = SfdiskImages.mbr(dir.resolve("mbr.img"));
        UbdDevice d = table.add("ubd0r=" + raw);
        assertEquals("dos", d.partitions().scheme());
        assertSameAsSfdisk(raw, d);
        assertEquals(List.of(1, 2, 3, 5, 6), d.partitions().partitions().stream().map(Partition::number).toList());
        assertEquals(new Geometry(12, 128, 32, Geometry.Source.DEFAULT), d.geometry());
        assertEquals(List.of(), notes);
    }

    @Test
    void gptIsWhatSfdiskReadsAndABadCrcFallsBackToTheBackup() throws Exception {
        Path raw = SfdiskImages.gpt(dir.resolve("gpt.img"));
        UbdDevice d = table.add("ubd0r=" + raw);
        assertEquals("gpt", d.partitions().scheme());
        assertSameAsSfdisk(raw, d);
        assertEquals("data", d.partitions().partition(2).name());
        table.close();

        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.seek(512 + 40); // first usable LBA inside the primary header: its CRC no longer matches
            f.write(0x7F);
        }
        try (DeviceTable t = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)).withWarnings(notes::add))) {
            UbdDevice backup = t.add("ubd1r=" + raw);
            assertEquals(3, backup.partitions().partitions().size());
            assertEquals(List.of("ubdb: primary GPT header at sector 1: CRC32 mismatch",
                    "ubdb: using the backup GPT at sector " + (SfdiskImages.SIZE / 512 - 1)), notes);
        }
        notes.clear();
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.seek(SfdiskImages.SIZE - 512 + 40);
            f.write(0x7F);
        }
        try (DeviceTable t = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)).withWarnings(notes::add))) {
            UbdDevice none = t.add("ubd1r=" + raw);
            assertEquals(List.of(), none.partitions().partitions());
            assertTrue(notes.contains("ubdb: no valid GPT (primary and backup damaged); no partitions exposed"), notes.toString());
            assertEquals("ubdb: no partition 2 (partition table: gpt)",
                    assertThrows(IOException.class, () -> none.partition(2)).getMessage());
        }
    }

    @Test
    void geometryComesFromTheLettersElseTheImageAndMustFit() throws Exception {
        Path raw = SfdiskImages.mbr(dir.resolve("mbr.img"));
        FormatTable formats = FormatTable.standard();
        formats.create(CreateSpec.of(dir.resolve("mbr.disk"), "disk").withBacking(raw).withOption("geometry", "48/16/63"));
        formats.create(CreateSpec.of(dir.resolve("a.header"), "header").withBacking(raw).withOption("geometry", "24/32/63"));
        formats.create(CreateSpec.of(dir.resolve("b.header"), "header").withBacking(raw).withOption("geometry", "96/16/32"));
        UbdDevice disk = table.add("ubd0r=" + dir.resolve("mbr.disk"));
        assertEquals(new Geometry(48, 16, 63, Geometry.Source.IMAGE), disk.geometry());
        assertSameAsSfdisk(raw, disk);
        UbdDevice a = table.add("ubd1r=" + dir.resolve("a.header"));
        UbdDevice b = table.add("ubd2r=" + dir.resolve("b.header"));
        assertEquals(new Geometry(24, 32, 63, Geometry.Source.IMAGE), a.geometry());
        assertEquals(new Geometry(96, 16, 32, Geometry.Source.IMAGE), b.geometry());
        assertSameAsSfdisk(raw, b);
        // a COW over a HEADER: the geometry is the HEADER's, found through the chain
        UbdDevice cow = table.add("ubd3=" + dir.resolve("top.cow") + "," + dir.resolve("b.header"));
        assertEquals(new Geometry(96, 16, 32, Geometry.Source.IMAGE), cow.geometry());
        assertEquals(new Geometry(102, 15, 16, Geometry.Source.LETTERS),
                table.add("ubd4rC102H15S16=" + dir.resolve("mbr.disk")).geometry());
        IOException tooLarge = assertThrows(IOException.class, () -> table.add("ubd5rC1000H16S63=" + dir.resolve("mbr.disk")));
        assertEquals("ubdf: geometry C1000H16S63 describes 516096000 bytes, more than the image's 25165824",
                tooLarge.getMessage());
    }

    @Test
    void aPartitionIsADeviceBoundedToItsSectors() throws Exception {
        Path raw = SfdiskImages.mbr(dir.resolve("mbr.img"));
        UbdDevice d = table.add("ubd0=" + raw);
        UbdDevice p2 = d.partition(2);
        assertEquals("ubda2", p2.name());
        assertEquals(8192L * 512, p2.capacity());
        byte[] sector = Disks.sector("p2 %06d ", 3);
        assertEquals(null, call(p2, RequestOp.WRITE, 3 * 512, ByteBuffer.wrap(sector)));
        assertEquals(null, call(p2, RequestOp.FLUSH, 0, ByteBuffer.allocate(0)));
        IOException past = call(p2, RequestOp.WRITE, p2.capacity() - 512, ByteBuffer.allocate(1024));
        assertEquals("ubda2: write of 1024 bytes at offset 4193792 is outside the partition (4194304 bytes)",
                past.getMessage());
        p2.close(); // a partition's close leaves the disk open
        ByteBuffer back = ByteBuffer.allocate(512);
        assertEquals(null, call(d, RequestOp.READ, (6144 + 3) * 512, back));
        assertArrayEquals(sector, back.array());
        byte[] file = Files.readAllBytes(raw);
        assertArrayEquals(sector, java.util.Arrays.copyOfRange(file, (6144 + 3) * 512, (6144 + 4) * 512));
        assertEquals(new byte[512].length, java.util.Arrays.copyOfRange(file, (6144 + 8192) * 512, (6144 + 8193) * 512).length);
        assertEquals("ubda: no partition 4 (partitions: 1, 2, 3, 5, 6)",
                assertThrows(IOException.class, () -> d.partition(4)).getMessage());
    }
}
