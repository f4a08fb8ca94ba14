package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.cow.testing.FuzzTally;
import org.ubdjvm.hostio.HostIoException;
import org.ubdjvm.hostio.SyncEngine;

/**
 * {@link HeaderFuzzTest} for ISAM: mutated headers, directories, index pages and owner pages (bit flips, truncation,
 * extreme field values, random bytes, entries pointing anywhere). A read-write open and a read of the whole disk
 * either succeed or fail with one clear line naming the file; so does {@code check}; nothing writes the file.
 */
class IsamHeaderFuzzTest {
    private static final int CASES = Integer.getInteger("ubd.fuzz.cases", 10_000) / 10;
    private static final long SEED = Long.getLong("ubd.fuzz.seed", 20261202L);
    private static final long[] EXTREMES = {0, 1, -1, 7, 511, 512, 4096, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL,
            Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 262144, 262145, 12288, 16384, 20480};
    private static final int[] FIELDS = {0, 4, 8, 12, 20, 24, 28, 4128, 4132, 4136, 4144, 4148, 4152, 4160, 4168, 4176,
            4184, 4192, 4200};
    private static final int[] INTS = {0, 4, 8, 20, 24, 28, 4128, 4132, 4144, 4148};

    @TempDir
    Path dir;

    @Test
    void mutatedIsamFilesOpenConsistentlyOrFailClearlyAndAreNeverWritten() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
        List<byte[]> bases = List.of(base(back, "512", 0), base(back, "4096", 1));
        Random random = new Random(SEED);
        Path work = dir.resolve("case.isam");
        FuzzTally tally = new FuzzTally();
        for (int i = 0; i < CASES; i++) {
            byte[] mutated = mutate(bases.get(random.nextInt(bases.size())), random);
            Files.write(work, mutated);
            String what = "case " + i + " (seed " + SEED + ")";
            tally.attempt(work, mutated, what,
                    () -> FormatTable.standard().open(OpenSpec.of(work, new SyncEngine()).withFormat(IsamFormat.NAME)),
                    image -> {
                        BlockIo.read(image, 0, ByteBuffer.allocate((int) image.capacity()));
                        BlockIo.flush(image);
                    });
            try {
                FormatTable.standard().check(OpenSpec.of(work, new SyncEngine()).withFormat(IsamFormat.NAME), false);
            } catch (ImageException | HostIoException e) {
                FuzzTally.requireOneLine(work, what + " check", e);
            } catch (Throwable t) {
                fail(what + ": check failed with " + t, t);
            }
            FuzzTally.requireUnchanged(work, mutated, what + " check");
        }
        int opened = tally.opened();
        int refused = tally.refused();
        System.out.println("ISAM fuzz: " + CASES + " cases, seed " + SEED + ": " + opened + " opened, " + refused + " refused");
        assertEquals(CASES, opened + refused);
        assertTrue(opened > 0 && refused > 0, "both outcomes exercised: opened " + opened + ", refused " + refused);
    }


    /** An ISAM file over {@code back} with sectors written here and there and one range discarded. */
    private byte[] base(Path back, String unit, int n) throws IOException {
        Path f = dir.resolve("base-" + n + ".isam");
        FormatTable.standard().create(CreateSpec.of(f, IsamFormat.NAME).withBacking(back).withOption("unit-size", unit));
        try (BlockImage image = FormatTable.standard().open(OpenSpec.of(f, new SyncEngine()))) {
            for (int s : new int[] {0, 3, 64, 65, 127}) {
                BlockIo.write(image, s * 512L, ByteBuffer.wrap(Disks.sector("isam %06d ", s)));
            }
            BlockIo.discard(image, 16 * 1024, 8 * 1024);
        }
        return Files.readAllBytes(f);
    }

    private static byte[] mutate(byte[] base, Random r) {
        byte[] b = base.clone();
        ByteBuffer bb = ByteBuffer.wrap(b);
        switch (r.nextInt(6)) {
            case 0 -> {                                            // bit flips anywhere: header, directory, pages
                for (int n = 1 + r.nextInt(8); n > 0; n--) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length + 1));  // truncation anywhere
            case 2 -> {                                            // an extreme value in a header field
                int at = FIELDS[r.nextInt(FIELDS.length)];
                long v = EXTREMES[r.nextInt(EXTREMES.length)];
                if (Arrays.stream(INTS).anyMatch(x -> x == at)) {
                    bb.putInt(at, (int) v);
                } else {
                    bb.putLong(at, v);
                }
            }
            case 3 -> {                                            // random bytes over part of the header
                int from = r.nextInt(IsamHeader.HEADER_SIZE);
                byte[] junk = new byte[1 + r.nextInt(64)];
                r.nextBytes(junk);
                System.arraycopy(junk, 0, b, from, Math.min(junk.length, b.length - from));
            }
            case 4 -> {                                            // an 8-byte entry past the header pointing anywhere
                int at = (int) (IsamHeader.DIR_OFFSET + r.nextInt((b.length - (int) IsamHeader.DIR_OFFSET) / 8) * 8L);
                long v = r.nextBoolean() ? EXTREMES[r.nextInt(EXTREMES.length)] : r.nextInt(b.length) / 512 * 512L;
                bb.putLong(at, v);
            }
            default -> {                                           // the backing name: long, relative, missing
                int from = (int) IsamHeader.NAME_OFFSET;
                switch (r.nextInt(3)) {
                    case 0 -> bb.putLong(IsamHeader.OFF_NAME_LENGTH, 1 + r.nextInt(IsamHeader.NAME_SPACE + 8));
                    case 1 -> b[from] = 'x';
                    default -> Arrays.fill(b, from, from + IsamHeader.NAME_SPACE, (byte) 0);
                }
            }
        }
        return b;
    }
}
