package org.ubdjvm.harness.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;

/**
 * One {@code ubd bench} run: ubd on the spec's target, then each peer on the same file, alternately, a number of
 * times; the report holds every round and the median ratios.
 */
public final class Benchmark {
    /** The peers, by the names {@code --compare} takes. */
    public static final List<String> PEERS = List.of(FioPeer.NAME, QemuImgPeer.NAME);
    public static final String QEMU_IMG = QemuImgPeer.NAME;
    /**
     * How long the submitter polls for a completion before it sleeps, unless asked otherwise. On a busy device the
     * next completion comes within microseconds; a submitter that sleeps must be woken by the completing thread, a
     * syscall on that thread and a scheduler round trip for this one (measured, 4k randread QD32 through the stack:
     * 340-425k IOPS parking at once, 420-535k polling for 50 us, same session).
     */
    public static final String DEFAULT_SPIN = "50us";

    private final BenchSpec spec;
    private final boolean direct;
    private final boolean ringSpin;
    private final long spinNanos;
    private final PrintWriter err;
    private final List<String> peers = new ArrayList<>();
    private FioPeer fio;
    private QemuImgPeer qemuImg;

    /**
     * @param direct    O_DIRECT, for ubd and its peers alike: the engine's file, or every layer of the stack (qemu-img
     *                  bench then runs with {@code -t none})
     * @param ringSpin  the stack's ring worker spins instead of sleeping
     * @param spinNanos how long the submitter polls for a completion before it parks
     * @param err       where the stack's warnings go
     */
    public Benchmark(BenchSpec spec, boolean direct, boolean ringSpin, long spinNanos, PrintWriter err) {
        this.spec = spec;
        this.direct = direct;
        this.ringSpin = ringSpin;
        this.spinNanos = spinNanos;
        this.err = err;
    }

    /**
     * Adds {@code peer} (one of {@link #PEERS}) to the run, finding its program now.
     *
     * @return false if it was already added
     * @throws IOException the program is not installed; the message names its Debian package
     */
    public boolean compareWith(String peer) throws IOException {
        switch (peer) {
            case FioPeer.NAME -> fio = new FioPeer(PeerProgram.find("fio", "fio"));
            case QemuImgPeer.NAME -> qemuImg = new QemuImgPeer(PeerProgram.find("qemu-img", "qemu-utils"));
            default -> throw new IllegalArgumentException("unknown peer " + peer);
        }
        if (peers.contains(peer)) {
            return false;
        }
        return peers.add(peer);
    }

    /** Prepares the file, then runs ubd on {@code engine} and the peers {@code repeats} times. */
    public BenchReport run(String engine, int repeats) throws IOException {
        BenchFile.prepare(spec.file(), spec.size());
        Path work = spec.target() == BenchTarget.stack
                ? Files.createTempDirectory(spec.file().toAbsolutePath().getParent(), "ubd-bench-") : null;
        try {
            List<BenchReport.Repeat> rounds = new ArrayList<>();
            for (int r = 0; r < repeats; r++) {
                if (!spec.rw().writes()) {
                    BenchFile.warm(spec.file(), spec.size());
                }
                BenchResult ubd = runUbd(engine, work, r);
                List<BenchResult> results = new ArrayList<>();
                for (String peer : peers) {
                    results.add(peer.equals(FioPeer.NAME) ? fio.run(spec, spec.file(), engine, direct)
                            : qemuImg.run(spec, qemuImgCount(ubd), spec.file(), work.resolve("qemu-" + r + ".qcow2"),
                            engine, direct)); // -t none with --direct
                }
                rounds.add(new BenchReport.Repeat(ubd, results));
            }
            return new BenchReport(spec, engine, direct, List.copyOf(peers), rounds);
        } finally {
            if (work != null) {
                deleteTree(work);
            }
        }
    }

    private BenchResult runUbd(String engine, Path work, int round) throws IOException {
        IoEngine e = IoEngines.select(engine, spec.iodepth()).engine();
        Path cow = work == null ? null : work.resolve("ubd-" + round + ".cow");
        try (BenchIo io = spec.target() == BenchTarget.engine ? new EngineBenchIo(e, spec.file(), spec.rw().writes(), direct)
                : new StackBenchIo(e, cow, spec.file(), ringSpin, direct, err)) {
            return new BenchLoop(io, spec, 2004 + round, spinNanos).run();
        } finally {
            if (cow != null) {
                Files.deleteIfExists(cow);
            }
        }
    }

    /** qemu-img bench runs a count, not a time: as many requests as ubd did in its run, so both run about as long. */
    private long qemuImgCount(BenchResult ubd) {
        return Math.max(1000, Math.round(ubd.iops() * spec.runtime().toMillis() / 1000.0));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
