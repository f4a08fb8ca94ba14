package org.ubdjvm.harness.bench;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceFlags;
import org.ubdjvm.driver.DeviceSpec;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.harness.Warnings;
import org.ubdjvm.harness.nbd.NbdAddress;
import org.ubdjvm.harness.nbd.NbdExport;
import org.ubdjvm.harness.nbd.NbdServer;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;
import org.ubdjvm.queue.RingConfig;

/**
 * {@code ubd bench --target=nbd}: fio's {@code nbd} engine (libnbd) against three NBD servers of the same disk, in
 * the same run, alternately: {@code ubd serve} of a fresh UML COW V3 over the file, {@code qemu-nbd} of a fresh
 * qcow2 overlay over it, and nbdkit's file plugin under its {@code cow} filter. The client is the same program for
 * all three, so the ratios are the servers'. Each server listens on a Unix socket in a private folder.
 */
public final class NbdBenchmark {
    public static final String QEMU_NBD = "qemu-nbd";
    public static final String NBDKIT = "nbdkit";
    public static final List<String> PEERS = List.of(QEMU_NBD, NBDKIT);
    private static final long SOCKET_WAIT_MILLIS = 20_000;

    private final BenchSpec spec;
    private final PrintWriter err;
    private final PeerProgram fio;
    private final Map<String, List<PeerProgram>> peers = new LinkedHashMap<>();

    /** @throws IOException fio is not installed (the message names its package) */
    public NbdBenchmark(BenchSpec spec, PrintWriter err) throws IOException {
        this.spec = spec;
        this.err = err;
        this.fio = PeerProgram.find("fio", "fio");
    }

    /**
     * Adds a server to compare with, finding its programs now.
     *
     * @return false if it was already added
     * @throws IOException a program is not installed; the message names its Debian package
     */
    public boolean compareWith(String peer) throws IOException {
        List<PeerProgram> programs = switch (peer) {
            case QEMU_NBD -> List.of(PeerProgram.find("qemu-nbd", "qemu-utils"), PeerProgram.find("qemu-img", "qemu-utils"));
            case NBDKIT -> List.of(PeerProgram.find("nbdkit", "nbdkit"));
            default -> throw new IllegalArgumentException("unknown peer " + peer);
        };
        return peers.putIfAbsent(peer, programs) == null;
    }

    /** Prepares the file, then measures ubd serve and each peer {@code repeats} times, alternately. */
    public BenchReport run(String engine, int repeats) throws IOException {
        BenchFile.prepare(spec.file(), spec.size());
        Path work = Files.createTempDirectory("ubd-bench-nbd-");
        try {
            List<BenchReport.Repeat> rounds = new ArrayList<>();
            for (int r = 0; r < repeats; r++) {
                if (!spec.rw().writes()) {
                    BenchFile.warm(spec.file(), spec.size());
                }
                BenchResult ubd = runUbd(engine, work.resolve("ubd-" + r));
                List<BenchResult> results = new ArrayList<>();
                for (Map.Entry<String, List<PeerProgram>> p : peers.entrySet()) {
                    Path dir = Files.createDirectory(work.resolve(p.getKey() + "-" + r));
                    results.add(p.getKey().equals(QEMU_NBD) ? runQemuNbd(p.getValue(), engine, dir)
                            : runNbdkit(p.getValue().get(0), dir));
                }
                rounds.add(new BenchReport.Repeat(ubd, results));
            }
            // not direct: the NBD target opens no file of its own
            return new BenchReport(spec, engine, false, List.copyOf(peers.keySet()), rounds);
        } finally {
            deleteTree(work);
        }
    }

    private BenchResult runUbd(String engineName, Path dir) throws IOException {
        Files.createDirectory(dir);
        Path cow = dir.resolve("top.cow");
        FormatTable formats = FormatTable.standard();
        formats.create(CreateSpec.of(cow, formats.layerFormat().name()).withBacking(spec.file())
                .withWarnings(Warnings.to(err)));
        DeviceFlags flags = DeviceFlags.DEFAULT;
        NbdAddress address = NbdAddress.unix(dir.resolve("nbd.sock"));
        try (IoEngine engine = IoEngines.select(engineName, spec.iodepth()).engine();
             UbdDevice device = UbdDevice.open(new DeviceSpec(0, cow, null, null, flags),
                     DeviceEnvironment.of(ImageOpener.over(engine)).withRing(RingConfig.of("nbd"))
                             .withWarnings(Warnings.to(err)), null);
             NbdServer server = NbdServer.start(address.bind(), new NbdExport("", "", device), 0, Warnings.to(err))) {
            // the server is this JVM: what it allocated while fio ran, over fio's requests (its ramp's included, so
            // a little high)
            long allocStart = AllocationMeter.allocatedBytes();
            BenchResult r = fio("ubd", address.uri(""));
            return r.withAllocBytesPerOp(AllocationMeter.perOp(allocStart, AllocationMeter.allocatedBytes(), r.ops()));
        }
    }

    private BenchResult runQemuNbd(List<PeerProgram> programs, String engine, Path dir) throws IOException {
        Path overlay = dir.resolve("top.qcow2");
        programs.get(1).run(List.of("create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                spec.file().toAbsolutePath().toString(), overlay.toString()), 60);
        Path socket = dir.resolve("nbd.sock");
        String aio = engine.equals("io_uring") ? "io_uring" : "threads";
        try (ServerProcess server = ServerProcess.start(programs.get(0), socket, dir, "-f", "qcow2", "-k",
                socket.toString(), "-t", "--cache=writeback", "--aio=" + aio, overlay.toString())) {
            return fio(QEMU_NBD, NbdAddress.unix(socket).uri(""));
        }
    }

    private BenchResult runNbdkit(PeerProgram nbdkit, Path dir) throws IOException {
        Path socket = dir.resolve("nbd.sock");
        try (ServerProcess server = ServerProcess.start(nbdkit, socket, dir, "-f", "-U", socket.toString(),
                "--filter=cow", "file", "file=" + spec.file().toAbsolutePath())) {
            return fio(NBDKIT, NbdAddress.unix(socket).uri(""));
        }
    }

    /** fio's nbd engine on {@code uri}, the spec's workload; the result named after the server. */
    private BenchResult fio(String server, String uri) throws IOException {
        List<String> args = List.of("--name=ubd-bench-nbd", "--ioengine=nbd", "--uri=" + uri,
                "--size=" + spec.size(), "--bs=" + spec.blockSize(), "--rw=" + spec.rw(),
                "--iodepth=" + spec.iodepth(), "--runtime=" + spec.runtime().toMillis() + "ms", "--time_based=1",
                "--ramp_time=" + spec.ramp().toMillis() + "ms", "--norandommap", "--randrepeat=0",
                "--percentile_list=" + FioPeer.PERCENTILE_LIST, "--output-format=json");
        long timeout = 60 + 2 * (spec.runtime().toSeconds() + spec.ramp().toSeconds());
        BenchResult r = FioPeer.parse(fio.run(args, timeout).stdout(), spec.rw().writes());
        return new BenchResult(server, r.ops(), r.bytes(), r.elapsedNanos(), r.p50Micros(), r.p99Micros(),
                r.p999Micros(), r.cpuNanos(), r.curve());
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A peer server running in the background until closed (SIGTERM, then SIGKILL). */
    private record ServerProcess(Process process) implements AutoCloseable {
        static ServerProcess start(PeerProgram program, Path socket, Path dir, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(program.path().toString()));
            cmd.addAll(List.of(args));
            Path log = dir.resolve(program.name() + ".log");
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            ServerProcess server = new ServerProcess(p);
            long deadline = System.currentTimeMillis() + SOCKET_WAIT_MILLIS;
            while (!Files.exists(socket)) {
                if (!p.isAlive() || System.currentTimeMillis() > deadline) {
                    server.close();
                    throw new IOException(program.name() + " did not start listening on " + socket + ": "
                            + Files.readString(log, StandardCharsets.UTF_8).strip());
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    server.close();
                    throw new IOException(program.name() + ": interrupted while starting", e);
                }
            }
            return server;
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
