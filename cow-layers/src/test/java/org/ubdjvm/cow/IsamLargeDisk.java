package org.ubdjvm.cow;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.ubdjvm.hostio.SyncEngine;

/**
 * Run in its own JVM by {@link IsamTest} with a small heap: a 2 TiB ISAM over a sparse raw file serves random 4 KiB
 * writes and reads anywhere, flushes, reopens and checks. Its index (a 64 MiB directory alone) never fits the heap
 * whole; exits non-zero with the reason when anything is wrong.
 */
public final class IsamLargeDisk {
    private static final long SIZE = 2L << 40;
    private static final int WRITES = 3000;

    private IsamLargeDisk() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        FormatTable table = FormatTable.standard();
        Path back = dir.resolve("back-2t.img");
        Path isam = dir.resolve("big.isam");
        table.create(CreateSpec.of(back, RawFormat.NAME).withSize(SIZE));
        table.create(CreateSpec.of(isam, IsamFormat.NAME).withBacking(back));
        Random random = new Random(2);
        Map<Long, Long> written = new HashMap<>();
        try (BlockImage image = table.open(OpenSpec.of(isam, new SyncEngine()))) {
            for (int i = 0; i < WRITES; i++) {
                long at = random.nextLong(SIZE / 4096) * 4096;
                long stamp = random.nextLong();
                BlockIo.write(image, at, block(stamp));
                written.put(at, stamp);
                if (i % 500 == 0) {
                    BlockIo.flush(image);
                }
            }
            verify(image, written, random);
        }
        try (BlockImage image = table.open(OpenSpec.of(isam, new SyncEngine()).withReadOnly(true))) {
            verify(image, written, random);
        }
        CheckReport report = table.check(OpenSpec.of(isam, new SyncEngine()), false);
        if (!report.clean()) {
            throw new AssertionError("check: " + report.messages());
        }
        System.out.println("ok: " + WRITES + " writes over 2 TiB, file " + java.nio.file.Files.size(isam) + " bytes, heap "
                + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
    }

    private static ByteBuffer block(long stamp) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        for (int i = 0; i < 4096; i += 8) {
            b.putLong(i, stamp + i);
        }
        return b;
    }

    private static void verify(BlockImage image, Map<Long, Long> written, Random random) throws Exception {
        for (Map.Entry<Long, Long> e : written.entrySet()) {
            ByteBuffer got = ByteBuffer.allocate(4096);
            BlockIo.read(image, e.getKey(), got);
            if (!Arrays.equals(got.array(), block(e.getValue()).array())) {
                throw new AssertionError("4 KiB at " + e.getKey() + " reads wrong");
            }
        }
        for (int i = 0; i < 200; i++) { // never written: the backing's zeros
            long at = random.nextLong(SIZE / 4096) * 4096;
            if (written.containsKey(at)) {
                continue;
            }
            ByteBuffer got = ByteBuffer.allocate(4096);
            BlockIo.read(image, at, got);
            if (!Arrays.equals(got.array(), new byte[4096])) {
                throw new AssertionError("unwritten 4 KiB at " + at + " is not zeros");
            }
        }
    }
}
