package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.OpenMode;
import org.ubdjvm.hostio.SyncEngine;

/** The metadata page cache on its own: what reaches the file, when, and that memory stays bounded. */
class MetadataPagesTest {
    private static final int PAGE = 4096;
    /** A region that starts mid-page and is 64 pages long, after a header the cache must never write. */
    private static final long REGION = 1000;
    private static final long LENGTH = 64 * PAGE;
    private static final MetadataPages.PageEditor OR = (p, at, o, n, bits, unused) -> {
        for (int k = 0; k < n; k++) {
            p[at + k] |= (byte) bits;
        }
    };

    @TempDir
    Path dir;

    private Path file(long length) throws IOException {
        Path f = dir.resolve("meta.img");
        byte[] header = new byte[(int) REGION];
        java.util.Arrays.fill(header, (byte) 'H');
        Files.write(f, header);
        try (HostFile h = HostFile.open(f, OpenMode.READ_WRITE)) {
            h.extendSparse(length);
        }
        return f;
    }

    @Test
    void readsWhatTheFileHoldsAndZerosPastItsEnd() throws IOException {
        Path f = file(REGION + 10);
        try (HostFile h = HostFile.open(f, OpenMode.READ_WRITE)) {
            h.write(ByteBuffer.wrap(new byte[] {7, 0, 0, 0, 0, 0, 0, 0, 0, 9}), REGION);
            MetadataPages pages = new MetadataPages(h, REGION, LENGTH, PAGE, 2 * PAGE);
            assertEquals(7, pages.byteAt(0));
            assertEquals(9, pages.byteAt(9));
            assertEquals(0, pages.byteAt(10));
            assertEquals(0, pages.byteAt(LENGTH - 1));
            assertEquals(0, pages.byteAt(LENGTH), "past the region reads zero");
            assertEquals(9, pages.longAt(2, true));
            assertEquals(0x0900000000000000L, pages.longAt(2, false));
            assertThrows(IllegalArgumentException.class, () -> pages.edit(LENGTH - 1, 2, OR, 1, 0));
        }
    }

    /** A two-page cache over 64 pages: every edit evicts, every evicted dirty page is in the file at once. */
    @Test
    void aDirtyPageEvictedIsWrittenAndTheCacheStaysBounded() throws IOException {
        Path f = file(REGION + LENGTH);
        try (HostFile h = HostFile.open(f, OpenMode.READ_WRITE)) {
            MetadataPages pages = new MetadataPages(h, REGION, LENGTH, PAGE, 2 * PAGE);
            assertEquals(2, pages.capacity());
            for (long o = 0; o < LENGTH; o += PAGE / 2) {
                pages.edit(o, 3, OR, 0x5A, 0);
            }
            byte[] onDisk = Files.readAllBytes(f);
            assertEquals(0x5A, onDisk[(int) (REGION + LENGTH / 2)], "evicted long ago: on disk without a flush");
            for (long o = 0; o < LENGTH; o += PAGE / 2) {
                assertEquals(0x5A, pages.byteAt(o + 2), "offset " + o);
                assertEquals(0, pages.byteAt(o + 3), "offset " + o);
            }
            flushAll(h, pages);
        }
        byte[] onDisk = Files.readAllBytes(f);
        for (long o = 0; o < LENGTH; o += PAGE / 2) {
            assertEquals(0x5A, onDisk[(int) (REGION + o)], "offset " + o);
        }
        for (int i = 0; i < REGION; i++) {
            assertEquals('H', onDisk[i], "the header before the region is never written");
        }
    }

    @Test
    void flushWritesEachDirtyPageOnceAndNothingWhenClean() throws IOException {
        Path f = file(REGION + LENGTH);
        try (HostFile h = HostFile.open(f, OpenMode.READ_WRITE)) {
            MetadataPages pages = new MetadataPages(h, REGION, LENGTH, PAGE, 16 * PAGE);
            pages.edit(0, 1, OR, 1, 0);
            pages.edit(PAGE * 5, 1, OR, 2, 0);
            List<MetadataPages.PageImage> dirty = pages.takeDirty();
            assertEquals(List.of(REGION, 5L * PAGE), dirty.stream().map(MetadataPages.PageImage::fileOffset).toList(),
                    "the first page starts at the region, the sixth on its page boundary");
            assertEquals(PAGE - REGION, dirty.get(0).bytes().remaining());
            pages.giveBack(dirty);
            assertEquals(2, pages.takeDirty().size(), "a copy given back is dirty again");
            assertEquals(List.of(), pages.takeDirty());
        }
    }

    /** Four threads set bits all over a two-page cache at once: none is lost, in memory or on disk. */
    @Test
    void concurrentEditsAndReadsThroughATinyCacheLoseNothing() throws Exception {
        Path f = file(REGION + LENGTH);
        int threads = 4;
        int perThread = 300; // every edit may evict a dirty page: an fdatasync each
        try (HostFile h = HostFile.open(f, OpenMode.READ_WRITE)) {
            MetadataPages pages = new MetadataPages(h, REGION, LENGTH, PAGE, 2 * PAGE);
            MetadataFlusher flusher = new MetadataFlusher(h, new SyncEngine(), pages); // one per cache, as an image has
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int bit = 1 << t;
                done.add(pool.submit(() -> {
                    Random r = new Random(bit);
                    for (int i = 0; i < perThread; i++) {
                        long o = r.nextInt((int) LENGTH);
                        pages.edit(o, 1, OR, bit, 0);
                        if ((pages.byteAt(o) & bit) == 0) {
                            throw new AssertionError("bit " + bit + " at " + o + " lost right after it was set");
                        }
                        if (i % 100 == 0) {
                            BlockIo.await("flush", WaitLimit.DEFAULT, flusher::flush);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get();
            }
            pool.shutdown();
            flushAll(h, pages);
            byte[] onDisk = Files.readAllBytes(f);
            for (int t = 0; t < threads; t++) {
                Random r = new Random(1 << t);
                for (int i = 0; i < perThread; i++) {
                    long o = r.nextInt((int) LENGTH);
                    assertEquals(1 << t, onDisk[(int) (REGION + o)] & (1 << t), "thread " + t + " offset " + o);
                    assertEquals(1 << t, pages.byteAt(o) & (1 << t), "thread " + t + " offset " + o);
                }
            }
        }
    }

    @Test
    void aScanReadsEveryPageWithoutEvictingTheCache() throws IOException {
        Path f = file(REGION + LENGTH);
        try (HostFile h = HostFile.open(f, OpenMode.READ_WRITE)) {
            h.write(ByteBuffer.wrap(new byte[] {1, 1, 1}), REGION + 10 * PAGE);
            MetadataPages pages = new MetadataPages(h, REGION, LENGTH, PAGE, 2 * PAGE);
            pages.edit(7, 1, OR, 3, 0); // held and dirty: the scan must see it
            MetadataPages.PageReader count = (p, at, o, n, a, b) -> {
                long c = 0;
                for (int k = 0; k < n; k++) {
                    c += Integer.bitCount(p[at + k] & 0xFF);
                }
                return c;
            };
            assertEquals(5, pages.scan(0, LENGTH, count, 0, 0));
            assertEquals(1, pages.takeDirty().size(), "still held and dirty after the scan");
        }
    }

    @Test
    void aPageSizeThatIsNotAPowerOfTwoIsRefused() throws IOException {
        Path f = file(REGION + LENGTH);
        try (HostFile h = HostFile.open(f, OpenMode.READ_WRITE)) {
            ImageException e = assertThrows(ImageException.class, () -> new MetadataPages(h, REGION, LENGTH, 12288, 1));
            assertEquals(f + ": metadata page size 12288 is not a power of two", e.getMessage());
        }
    }

    /** A flush round on the calling thread (the sync engine completes inline). */
    private static void flushAll(HostFile h, MetadataPages pages) throws IOException {
        MetadataFlusher flusher = new MetadataFlusher(h, new SyncEngine(), pages);
        BlockIo.await("flush", WaitLimit.DEFAULT, flusher::flush);
    }
}
