package org.ubdjvm.harness.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageCommit;
import org.ubdjvm.cow.ImageCopy;
import org.ubdjvm.cow.ImageRebase;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.ProgressListener;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;

/**
 * {@code ubd bench --target=convert|commit}: one stack, a raw base with a UML COW over it and, for qemu-img, a
 * qcow2 over the same base holding the same writes ({@code qemu-img convert -B}: the clusters where the disk differs
 * from the base, as the writes through qemu-io would allocate them); then, each repeat, every tool on fresh copies:
 * convert = {@code ubd convert -O raw} vs {@code uml_moo COW OUT} vs {@code qemu-img convert -O raw}; commit =
 * {@code ubd commit} vs {@code uml_moo -d} vs {@code qemu-img commit}. ubd runs in this JVM (its library calls, no
 * JVM start), the peers as processes. Page cache: before each run the tool's inputs are fsynced and read once
 * (warm, nothing dirty), the same for every tool; the timing ends as {@link SyncMode} says: by default after an fsync
 * of what the tool wrote, so every tool pays for making its output durable.
 */
public final class JobBenchmark {
    public static final List<String> PEERS = List.of("uml_moo", QemuImgPeer.NAME);
    static final String CACHE = "warm: inputs fsynced and read before each run, the same for every tool";
    /** How ubd runs, said in the report: its times have no JVM start in them. */
    static final String UBD_RUNS = "library calls in the bench's JVM (no JVM start; the first repeat is the JIT's first)";
    private static final int RUN = 4096;
    private static final FormatTable TABLE = FormatTable.standard();

    private final BenchTarget target;
    private final long size;
    private final double dirty;
    private final Path work;
    private final String engine;
    private final SyncMode sync;
    private final List<String> peers = new ArrayList<>();
    private final List<PeerProgram> programs = new ArrayList<>();

    /** {@code work}: a folder for the stack and its copies (about four times {@code size} at most). */
    public JobBenchmark(BenchTarget target, long size, double dirty, Path work, String engine, SyncMode sync) {
        if (target != BenchTarget.convert && target != BenchTarget.commit) {
            throw new IllegalArgumentException("target " + target);
        }
        if (size < RUN || size % RUN != 0) {
            throw new IllegalArgumentException("--size must be a positive multiple of 4 KiB, not " + size);
        }
        if (!(dirty > 0 && dirty <= 1)) {
            throw new IllegalArgumentException("--dirty must be above 0% and at most 100%");
        }
        this.target = target;
        this.size = size;
        this.dirty = dirty;
        this.work = work;
        this.engine = engine;
        this.sync = sync;
    }

    /** Adds a peer by name; false if named twice. */
    public boolean compareWith(String peer) throws IOException {
        if (peers.contains(peer)) {
            return false;
        }
        switch (peer) {
            case "uml_moo" -> programs.add(PeerProgram.find("uml_moo", "uml-utilities"));
            case QemuImgPeer.NAME -> programs.add(PeerProgram.find("qemu-img", "qemu-utils"));
            default -> throw new IllegalArgumentException("unknown peer " + peer);
        }
        return peers.add(peer);
    }

    public JobBenchReport run(int repeats) throws IOException {
        Path dir = Files.createTempDirectory(work, "ubd-bench-" + target + "-");
        try {
            Path base = dir.resolve("base.img");
            BenchFile.prepare(base, size);
            Path cow = dir.resolve("top.cow");
            TABLE.create(CreateSpec.of(cow, "cow").withBacking(base));
            write(cow);
            Path qcow = null;
            if (peers.contains(QemuImgPeer.NAME)) {
                Path merged = dir.resolve("merged.img");
                try (IoEngine e = IoEngines.select(engine, 64).engine();
                     BlockImage top = TABLE.open(OpenSpec.of(cow, e).withReadOnly(true))) {
                    ImageCopy.convert(top, CreateSpec.of(merged, "raw"), TABLE, e, ProgressListener.NONE);
                }
                qcow = dir.resolve("top.qcow2");
                program(QemuImgPeer.NAME).run(List.of("convert", "-q", "-f", "raw", "-O", "qcow2", "-B", base.toString(),
                        "-F", "raw", merged.toString(), qcow.toString()), 3600);
                Files.delete(merged);
            }
            List<JobBenchReport.Repeat> rounds = new ArrayList<>();
            for (int r = 0; r < repeats; r++) {
                double ubd = timeUbd(dir, base, cow);
                List<Double> others = new ArrayList<>();
                for (String peer : peers) {
                    others.add(peer.equals(QemuImgPeer.NAME) ? timeQemuImg(dir, base, qcow) : timeUmlMoo(dir, base, cow));
                }
                rounds.add(new JobBenchReport.Repeat(ubd, others));
            }
            return new JobBenchReport(target, engine, size, dirty, CACHE, sync, List.copyOf(peers), rounds);
        } finally {
            deleteTree(dir);
        }
    }

    /** {@code dirty} of the 4 KiB runs, chosen at random (seeded), get bytes unlike the base's. */
    private void write(Path cow) throws IOException {
        Random random = new Random(2004);
        ByteBuffer run = ByteBuffer.allocate(RUN);
        try (IoEngine e = IoEngines.select(engine, 64).engine(); BlockImage image = TABLE.open(OpenSpec.of(cow, e))) {
            for (long at = 0; at < size; at += RUN) {
                if (random.nextDouble() < dirty) {
                    random.nextBytes(run.array());
                    BlockIo.write(image, at, run.clear());
                }
            }
        }
    }

    private PeerProgram program(String peer) {
        return programs.get(peers.indexOf(peer));
    }

    private double timeUbd(Path dir, Path base, Path cow) throws IOException {
        try (IoEngine e = IoEngines.select(engine, 64).engine()) {
            return timed(dir, "ubd", base, cow, inputs -> {
                if (target == BenchTarget.commit) {
                    new ImageRebase(inputs[1], null, inputs[0], "raw", true).run(TABLE, e, w -> { }, ProgressListener.NONE);
                }
            }, (inputs, out) -> {
                if (target == BenchTarget.convert) {
                    try (BlockImage top = TABLE.open(OpenSpec.of(inputs[1], e).withReadOnly(true))) {
                        ImageCopy.convert(top, CreateSpec.of(out, "raw"), TABLE, e, ProgressListener.NONE);
                    }
                    durable(out);
                } else {
                    new ImageCommit(inputs[1], null, null, false).run(TABLE, e, w -> { }, ProgressListener.NONE);
                    durable(inputs[0], inputs[1]);
                }
            });
        }
    }

    private double timeUmlMoo(Path dir, Path base, Path cow) throws IOException {
        PeerProgram umlMoo = program("uml_moo");
        return timed(dir, "uml_moo", base, cow, null, (inputs, out) -> {
            if (target == BenchTarget.convert) {
                umlMoo.run(List.of("-b", inputs[0].toString(), inputs[1].toString(), out.toString()), 3600);
                durable(out);
            } else {
                umlMoo.run(List.of("-d", "-b", inputs[0].toString(), inputs[1].toString()), 3600);
                durable(inputs[0]);
            }
        });
    }

    private double timeQemuImg(Path dir, Path base, Path qcow) throws IOException {
        PeerProgram qemuImg = program(QemuImgPeer.NAME);
        return timed(dir, QemuImgPeer.NAME, base, qcow,
                inputs -> qemuImg.run(List.of("rebase", "-u", "-f", "qcow2", "-b", inputs[0].toString(), "-F", "raw",
                        inputs[1].toString()), 600),
                (inputs, out) -> {
                    if (target == BenchTarget.convert) {
                        qemuImg.run(List.of("convert", "-f", "qcow2", "-O", "raw", inputs[1].toString(), out.toString()),
                                3600);
                        durable(out);
                    } else {
                        qemuImg.run(List.of("commit", "-q", "-f", "qcow2", inputs[1].toString()), 3600);
                        durable(inputs[0], inputs[1]);
                    }
                });
    }

    /** What a tool does to its copies: inputs[0] the base, inputs[1] the top, {@code out} a file it may make. */
    private interface Job {
        void run(Path[] inputs, Path out) throws IOException;
    }

    /** What readies the copies before the clock starts (pointing the top at the base copy). */
    private interface Setup {
        void run(Path[] inputs) throws IOException;
    }

    /** Seconds {@code job} takes on fresh copies of the stack with their inputs warm; the copies are removed. */
    private double timed(Path dir, String tool, Path base, Path top, Setup setup, Job job) throws IOException {
        Path round = fresh(dir, tool);
        try {
            Path[] inputs = copies(round, base, top);
            if (setup != null) {
                setup.run(inputs);
            }
            warm(inputs);
            long start = System.nanoTime();
            job.run(inputs, round.resolve("out.img"));
            return (System.nanoTime() - start) / 1e9;
        } finally {
            deleteTree(round);
        }
    }

    private static Path fresh(Path dir, String tool) throws IOException {
        return Files.createDirectory(dir.resolve(tool + "-" + System.nanoTime()));
    }

    /** Copies of the base (its mtime kept: the COW header records it) and the top, into {@code round}. */
    private static Path[] copies(Path round, Path base, Path top) throws IOException {
        Path b = Files.copy(base, round.resolve(base.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
        Path t = Files.copy(top, round.resolve(top.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
        fsync(b, t);
        return new Path[] {b, t};
    }

    private static void warm(Path... files) throws IOException {
        for (Path f : files) {
            BenchFile.warm(f, Files.size(f));
        }
    }

    /** Makes what a tool wrote durable inside its time, when {@link #sync} says so. */
    private void durable(Path... files) throws IOException {
        if (sync == SyncMode.all) {
            fsync(files);
        }
    }

    private static void fsync(Path... files) throws IOException {
        for (Path f : files) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
    }

    /** Removes {@code dir} and everything in it. */
    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
