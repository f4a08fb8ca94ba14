package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.cow.testing.FuzzTally;
import org.ubdjvm.cow.testing.SharedVectors;
import org.ubdjvm.hostio.HostIoException;
import org.ubdjvm.hostio.SyncEngine;

/**
 * Mutated headers of every layout (bit flips, truncation, extreme field values, random bytes, bitmaps pointing past
 * the end): a read-write open either gives a consistent image or one clear one-line error, never another exception
 * or an out-of-memory, and the file is never written.
 */
class HeaderFuzzTest {
    private static final int CASES = Integer.getInteger("ubd.fuzz.cases", 10_000);
    private static final long SEED = Long.getLong("ubd.fuzz.seed", 20261124L);
    private static final long[] EXTREMES = {0, 1, -1, 7, 511, 512, 4096, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL,
            Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 262144, 262145};

    @TempDir
    Path dir;

    /**
     * A file to mutate. {@code backing} null: opened read-write, backing from the header (our own files). Else the
     * shared vectors made by uml_mkcow, the kernel and the legacy crafts: their header names the folder they were
     * made in, so they are opened read-only with the backing given (a read-write open would switch the name).
     */
    private record Base(Path file, byte[] bytes, UmlCowHeader header, Path backing) {
    }

    @Test
    void mutatedHeadersOpenConsistentlyOrFailClearlyAndAreNeverWritten() throws IOException {
        List<Base> bases = bases();
        Random random = new Random(SEED);
        Path work = dir.resolve("case.cow");
        FuzzTally tally = new FuzzTally();
        for (int i = 0; i < CASES; i++) {
            Base base = bases.get(random.nextInt(bases.size()));
            byte[] mutated = mutate(base, random);
            Files.write(work, mutated);
            String what = "case " + i + " (seed " + SEED + ", base " + base.file().getFileName() + ")";
            OpenSpec open = OpenSpec.of(work, new SyncEngine()).withFormat(UmlCowFormat.NAME)
                    .withBacking(base.backing()).withReadOnly(base.backing() != null);
            tally.attempt(work, mutated, what, () -> FormatTable.standard().open(open), image -> {
                readSome(image);
                BlockIo.flush(image);
            });
        }
        int opened = tally.opened();
        int refused = tally.refused();
        System.out.println("header fuzz: " + CASES + " cases, seed " + SEED + ": " + opened + " opened, " + refused + " refused");
        assertEquals(CASES, opened + refused);
        assertTrue(opened > 0 && refused > 0, "both outcomes exercised: opened " + opened + ", refused " + refused);
    }

    /** Good files of every layout over a real backing, with some sectors written. */
    private List<Base> bases() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        long mtime = Files.getLastModifiedTime(back).to(TimeUnit.SECONDS);
        List<Base> out = new ArrayList<>();
        for (UmlCowLayout layout : List.of(UmlCowLayout.V1, UmlCowLayout.V2, UmlCowLayout.V3, UmlCowLayout.V3_OLD64)) {
            UmlCowHeader h = new UmlCowHeader(layout, mtime, 64 * 1024, 512, layout.alignOffset() < 0 ? 512 : 4096, 0,
                    back.toString());
            Path f = dir.resolve("base-" + layout.version() + "-" + layout.headerSize() + ".cow");
            byte[] bytes = new byte[(int) (h.dataOffset() + h.size())];
            byte[] header = h.encode(f);
            System.arraycopy(header, 0, bytes, 0, header.length);
            for (int s : new int[] {0, 3, 64, 127}) {           // some allocated sectors with data
                bytes[(int) h.bitmapOffset() + s / 8] |= (byte) (1 << (s % 8));
                System.arraycopy(Disks.sector("cow %06d ", s), 0, bytes, (int) (h.dataOffset() + s * 512L), 512);
            }
            Files.write(f, bytes);
            out.add(new Base(f, bytes, h, null));
        }
        List<String> names = List.of("v1-handmade.cow", "v2-handmade.cow", "v3-mkcow-written.cow",
                "v3-broken64-handmade.cow", "kernel-created-written.cow", "v3-mkcow-odd.cow");
        Path vectors = SharedVectors.copyTo(Files.createDirectory(dir.resolve("vectors")), Stream.concat(names.stream(),
                Stream.of("back-256k.img", "back-odd.img", "back-ext2-512k.img")).toArray(String[]::new));
        for (String name : names) {
            Path f = vectors.resolve(name);
            byte[] bytes = Files.readAllBytes(f);
            UmlCowHeader h = UmlCowHeader.decode(new ProbeBytes(f, bytes.length, Arrays.copyOf(bytes, 4608)));
            out.add(new Base(f, bytes, h, vectors.resolve(Path.of(h.backingFile()).getFileName())));
        }
        return out;
    }

    private static byte[] mutate(Base base, Random r) {
        byte[] b = base.bytes().clone();
        UmlCowLayout l = base.header().layout();
        int headerEnd = l.headerSize() + 64;
        switch (r.nextInt(6)) {
            case 0 -> {                                            // bit flips in the header
                for (int n = 1 + r.nextInt(8); n > 0; n--) {
                    b[r.nextInt(headerEnd)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length + 1));  // truncation anywhere
            case 2 -> {                                            // an extreme value in a numeric field
                int[] fields = {0, 4, l.mtimeOffset(), l.sizeOffset(), l.sectorOffset(), l.alignOffset(), l.formatOffset()};
                int at = fields[r.nextInt(fields.length)];
                long v = EXTREMES[r.nextInt(EXTREMES.length)];
                ByteBuffer bb = ByteBuffer.wrap(b).order(at == 0 || at == 4 ? ByteOrder.BIG_ENDIAN : l.order());
                if (at == l.sizeOffset()) {
                    bb.putLong(at, v);
                } else if (at >= 0) {
                    bb.putInt(at, (int) v);
                }
            }
            case 3 -> {                                            // random bytes over part of the header
                int from = r.nextInt(headerEnd);
                int len = 1 + r.nextInt(Math.min(64, headerEnd - from));
                byte[] junk = new byte[len];
                r.nextBytes(junk);
                System.arraycopy(junk, 0, b, from, len);
            }
            case 4 -> {                                            // every bit set, file cut short: bits past the end
                Arrays.fill(b, (int) base.header().bitmapOffset(), (int) (base.header().bitmapOffset() + base.header().bitmapLength()), (byte) 0xFF);
                b = Arrays.copyOf(b, (int) base.header().dataOffset() + r.nextInt(64 * 1024));
            }
            default -> {                                           // the backing name: unterminated, relative, missing
                int from = l.backingOffset();
                switch (r.nextInt(3)) {
                    case 0 -> Arrays.fill(b, from, from + l.backingLength(), (byte) 'a');
                    case 1 -> b[from] = 'x';
                    default -> Arrays.fill(b, from, from + l.backingLength(), (byte) 0);
                }
            }
        }
        return b;
    }

    /** Reads the start and the end of the disk, where a wrong geometry would show. */
    private static void readSome(BlockImage image) throws IOException {
        int n = (int) Math.min(image.capacity(), 64 * 1024);
        BlockIo.read(image, 0, ByteBuffer.allocate(n));
        BlockIo.read(image, image.capacity() - n, ByteBuffer.allocate(n));
    }
}
