package org.ubdjvm.props;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CheckReport;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.SyncEngine;

/**
 * Crash-state enumeration for a COW file (the CrashMonkey idea): run a workload of writes, discards and flushes with
 * every host write, hole punch and fdatasync logged, then rebuild the file as a crash could have left it at every
 * point of the log (each prefix, plus random subsets of the 512-byte pieces written since the last completed
 * fdatasync, since the host may persist those in any order) and check each state: it opens; every sector reads the value it had at the
 * last flush that completed, or a value written after it; never bytes nobody wrote; and {@code check} finds no
 * corruption (a leak is allowed: space written but not yet pointed at).
 */
class CrashStatesTest {
    private static final int SECTORS = 256;
    private static final int OPERATIONS = 1000;
    /** ISAM logs more host writes per operation (index and owner pages at each flush): fewer keep the states alike. */
    private static final int ISAM_OPERATIONS = 400;
    private static final int SUBSETS_PER_POINT = 3;
    /** The value id of a discarded sector, which reads as zeros. */
    private static final int ZEROS = 0;
    private static final byte[] ZERO_SECTOR = new byte[512];

    @TempDir
    Path dir;

    private final byte[][] backing = new byte[SECTORS][];
    /** Also run the format's check (no repair) on every crash state. */
    private boolean checkFormat;
    /** ISAM: a crash may leak space (data no entry points at yet), never corrupt. */
    private boolean isam;

    /** Guest-level history: per sector, every value id written, in order; and what was durable at each flush. */
    private static final class History {
        final List<List<Integer>> written = new ArrayList<>();
        /** flushed.get(f)[s] = index into written[s] of the value that flush f made durable (-1 = backing). */
        final List<int[]> flushed = new ArrayList<>();
        /** flushDoneAt.get(f) = host log length when guest flush f completed. */
        final List<Integer> flushDoneAt = new ArrayList<>();

        History() {
            for (int s = 0; s < SECTORS; s++) {
                written.add(new ArrayList<>());
            }
        }

        /** Guest flushes that had completed when the host log had {@code logLength} entries. */
        int flushesAt(int logLength) {
            int n = 0;
            while (n < flushDoneAt.size() && flushDoneAt.get(n) <= logLength) {
                n++;
            }
            return n;
        }
    }

    /**
     * UML COW V1, V2, V3 over a raw backing (the COW file is logged), a DISK holding the backing's bytes (its file),
     * a HEADER over a copy of them (its data file, written in place; each state is opened after {@code check -r}
     * records the data file's mtime, the documented way back after a crash). V4 is the seed's V4: an ISAM file (a V3
     * header with cow_format 1), made by the cow format.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"V1", "V2", "V3", "V4", "DISK", "HEADER"})
    void everyCrashStateOpensAndHoldsOnlyFlushedOrNewerData(String kind) throws IOException {
        crashStates(kind, 1, false);
    }

    /**
     * The same over a V3 layer and its backing opened O_DIRECT, the workload in whole 4 KiB blocks (what such a
     * layer takes), so the bitmap goes out as aligned read-modify-write of whole blocks: every crash state holds only
     * flushed or newer data, and the format's own {@code check} finds nothing wrong in any of them.
     */
    @org.junit.jupiter.api.Test
    void everyCrashStateOfADirectWorkloadChecksClean() throws IOException {
        int block = (int) Math.max(512, Files.getFileStore(dir).getBlockSize());
        crashStates("V3", block / 512, true);
    }

    private void crashStates(String kind, int unit, boolean direct) throws IOException {
        this.checkFormat = direct;
        Path back = Disks.patternedRaw(dir.resolve("back.img"), SECTORS * 512L);
        for (int s = 0; s < SECTORS; s++) {
            backing[s] = Disks.sector("back %06d ", s);
        }
        FormatTable table = FormatTable.standard();
        isam = kind.equals("V4");
        int operations = isam ? ISAM_OPERATIONS : OPERATIONS;
        Path cow;
        Path logged;
        switch (kind) {
            case "DISK" -> {
                cow = logged = dir.resolve("crash.disk");
                table.create(CreateSpec.of(cow, "disk").withBacking(back).withOption("geometry", "2/4/32"));
            }
            case "HEADER" -> {
                logged = Files.copy(back, dir.resolve("crash.data"));
                cow = dir.resolve("crash.header");
                table.create(CreateSpec.of(cow, "header").withBacking(logged));
            }
            default -> {
                cow = logged = dir.resolve("crash.cow");
                table.create(CreateSpec.of(cow, "cow").withBacking(back).withOption("version", kind.substring(1)));
            }
        }
        byte[] initial = Files.readAllBytes(logged);
        HostWriteLog log = new HostWriteLog(logged.getFileName().toString());
        History history = new History();
        Random random = new Random(1000L + kind.hashCode());
        int nextValue = 1;
        try (BlockImage image = table.open(OpenSpec.of(cow, log).withDirect(direct))) {
            for (int op = 0; op < operations; op++) {
                if (random.nextInt(20) == 0) {
                    BlockIo.flush(image);
                    int[] durable = new int[SECTORS];
                    for (int s = 0; s < SECTORS; s++) {
                        durable[s] = history.written.get(s).size() - 1;
                    }
                    history.flushed.add(durable);
                    history.flushDoneAt.add(log.entries().size());
                    continue;
                }
                int first = random.nextInt(SECTORS / unit) * unit; // direct: whole blocks only
                int count = unit * (1 + random.nextInt(Math.min(8, (SECTORS - first) / unit)));
                if (random.nextInt(10) == 0) {
                    for (int i = 0; i < count; i++) {
                        history.written.get(first + i).add(ZEROS);
                    }
                    BlockIo.discard(image, first * 512L, count * 512L);
                    continue;
                }
                ByteBuffer data = ByteBuffer.allocate(count * 512);
                for (int i = 0; i < count; i++) {
                    data.put(valueSector(nextValue, first + i));
                    history.written.get(first + i).add(nextValue);
                }
                nextValue++;
                BlockIo.write(image, first * 512L, data.flip());
            }
        }
        // Thousands of states are written and opened: on tmpfs when there is one, it costs no disk I/O.
        Path shm = Path.of("/dev/shm");
        Path stateDir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "crash") : dir;
        Path state = stateDir.resolve(logged.getFileName());
        Path opened = state;
        int states;
        try {
            if (kind.equals("HEADER")) {
                Files.write(state, initial);
                opened = stateDir.resolve(cow.getFileName());
                table.create(CreateSpec.of(opened, "header").withBacking(state));
            }
            states = check(history, log.entries(), initial, state, opened, random);
        } finally {
            Files.deleteIfExists(state);
            Files.deleteIfExists(opened);
            if (!stateDir.equals(dir)) {
                Files.deleteIfExists(stateDir);
            }
        }
        System.out.println("crash states " + kind + (direct ? " direct" : "") + ": " + states + " checked from a log of "
                + log.entries().size() + " host writes and syncs");
        assertTrue(states >= operations, "checked " + states);
    }

    /** The value id a sector written by this test starts with ("v00000042-..."), or 0. */
    private static int valueOf(byte[] sector) {
        if (sector[0] != 'v' || sector[9] != '-') {
            return 0;
        }
        int v = 0;
        for (int i = 1; i < 9; i++) {
            if (sector[i] < '0' || sector[i] > '9') {
                return 0;
            }
            v = v * 10 + sector[i] - '0';
        }
        return v;
    }

    private static byte[] valueSector(int value, long sector) {
        return Disks.sector("v%08d-" + sector + " ", value);
    }

    /** Each crash state is written to {@code state} (the logged file), then {@code opened} is opened. */
    private int check(History h, List<HostWriteLog.Entry> log, byte[] initial, Path state, Path opened, Random random)
            throws IOException {
        byte[] durable = initial.clone();   // every entry up to the last completed fdatasync
        List<HostWriteLog.Entry> pending = new ArrayList<>();
        int states = 0;
        for (int k = 0; k <= log.size(); k++) {
            // A crash right before entry k: whatever was synced, plus any subset of the pieces written since.
            states += checkState(h, k, apply(durable, pending, null), state, opened);
            for (int t = 0; t < SUBSETS_PER_POINT && !pending.isEmpty(); t++) {
                states += checkState(h, k, apply(durable, pending, random), state, opened);
            }
            if (k == log.size()) {
                break;
            }
            HostWriteLog.Entry e = log.get(k);
            if (e.isSync()) {
                durable = apply(durable, pending, null);
                pending.clear();
            } else {
                pending.add(e);
            }
        }
        return states;
    }

    /** {@code base} with the pending writes applied: all of them, or (with a random) a random subset of 512-byte pieces. */
    private static byte[] apply(byte[] base, List<HostWriteLog.Entry> pending, Random subset) {
        int length = base.length;
        for (HostWriteLog.Entry e : pending) {
            length = (int) Math.max(length, e.position() + e.bytes().length);
        }
        byte[] out = Arrays.copyOf(base, length);
        for (HostWriteLog.Entry e : pending) {
            for (int off = 0; off < e.bytes().length; off += 512) {
                if (subset == null || subset.nextBoolean()) {
                    int n = Math.min(512, e.bytes().length - off);
                    System.arraycopy(e.bytes(), off, out, (int) e.position() + off, n);
                }
            }
        }
        return out;
    }

    private int checkState(History h, int logLength, byte[] state, Path file, Path opened) throws IOException {
        Files.write(file, state);
        int flushes = h.flushesAt(logLength);
        byte[] disk;
        if (!opened.equals(file)) { // a HEADER over the state: record the data file's new mtime, as check -r does
            FormatTable.standard().check(OpenSpec.of(opened, new SyncEngine()), true);
        }
        try (BlockImage image = FormatTable.standard().open(OpenSpec.of(opened, new SyncEngine()).withReadOnly(true))) {
            ByteBuffer all = ByteBuffer.allocate((int) image.capacity());
            BlockIo.read(image, 0, all);
            disk = all.array();
        } catch (IOException e) {
            fail("crash state at log entry " + logLength + " does not open: " + e.getMessage());
            return 0;
        }
        if (checkFormat || isam) {
            CheckReport report = FormatTable.standard().check(OpenSpec.of(opened, new SyncEngine()).withReadOnly(true),
                    false);
            if (report.corruptions() + (isam ? 0 : report.leaks()) > 0) {
                fail("crash state at log entry " + logLength + " does not check clean: " + report.messages());
            }
        }
        for (int s = 0; s < SECTORS; s++) {
            byte[] got = Arrays.copyOfRange(disk, s * 512, s * 512 + 512);
            int floor = flushes == 0 ? -1 : h.flushed.get(flushes - 1)[s];
            List<Integer> values = h.written.get(s);
            Set<Integer> allowed = new HashSet<>(values.subList(Math.max(floor, 0), values.size()));
            int value = valueOf(got);   // the sector names the value it holds; only that one is rebuilt to compare
            boolean ok = value > 0
                    ? allowed.contains(value) && Arrays.equals(got, valueSector(value, s))
                    : Arrays.equals(got, ZERO_SECTOR) ? allowed.contains(ZEROS)
                    : floor < 0 && Arrays.equals(got, backing[s]);
            if (!ok) {
                fail("crash state at log entry " + logLength + " (after " + flushes + " completed flushes): sector " + s
                        + " reads \"" + new String(got, 0, 24, java.nio.charset.StandardCharsets.ISO_8859_1)
                        + "...\", allowed: " + (floor < 0 ? "backing or " : "") + "values " + allowed);
            }
        }
        return 1;
    }
}
