package org.ubdjvm.harness.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code qemu-img bench} on a fresh qcow2 overlay over the same backing file: QEMU's block layer doing what ubd's
 * stack does (a COW layer over a raw file). It runs a request count, not a time, and only sequentially (offset +=
 * step), and prints only its total time, so there are no latency percentiles.
 */
final class QemuImgPeer {
    static final String NAME = "qemu-img";
    private static final Pattern COMPLETED = Pattern.compile("Run completed in ([0-9.]+) seconds");

    private final PeerProgram qemuImg;

    QemuImgPeer(PeerProgram qemuImg) {
        this.qemuImg = qemuImg;
    }

    /**
     * qemu's aio= for a host-io engine. aio=native needs O_DIRECT in qemu, so buffered Linux AIO runs as threads,
     * as do sync and mmap (qemu has no mmap backend).
     */
    static String aio(String engine, boolean direct) {
        return switch (engine) {
            case "io_uring" -> "io_uring";
            case "aio" -> direct ? "native" : "threads";
            default -> "threads";
        };
    }

    static List<String> benchArguments(BenchSpec spec, long count, String engine, boolean direct, Path overlay) {
        List<String> args = new ArrayList<>(List.of("bench", "-f", "qcow2", "-c", Long.toString(count),
                "-d", Integer.toString(spec.iodepth()), "-s", Integer.toString(spec.blockSize()),
                "-S", Integer.toString(spec.blockSize()), "-t", direct ? "none" : "writeback", "-i", aio(engine, direct)));
        if (spec.rw().writes()) {
            args.add("-w");
        }
        args.add(overlay.toString());
        return args;
    }

    /** Creates {@code overlay} (which must not exist) over {@code backing}, runs {@code count} requests on it. */
    BenchResult run(BenchSpec spec, long count, Path backing, Path overlay, String engine, boolean direct) throws IOException {
        qemuImg.run(List.of("create", "-q", "-f", "qcow2", "-F", "raw", "-b", backing.toAbsolutePath().toString(),
                overlay.toString()), 60);
        try {
            long timeout = 120 + 10 * (spec.runtime().toSeconds() + 1);
            return parse(qemuImg.run(benchArguments(spec, count, engine, direct, overlay), timeout).stdout(),
                    count, spec.blockSize());
        } finally {
            Files.deleteIfExists(overlay);
        }
    }

    static BenchResult parse(String stdout, long count, int blockSize) throws IOException {
        Matcher m = COMPLETED.matcher(stdout);
        if (!m.find()) {
            throw new IOException("qemu-img bench printed no run time: "
                    + stdout.strip().lines().findFirst().orElse("(nothing)"));
        }
        // its clock has millisecond resolution: a run shorter than that counts as 1 ms rather than divide by zero
        long nanos = Math.max(1_000_000L, Math.round(Double.parseDouble(m.group(1)) * 1e9));
        return new BenchResult(NAME, count, count * blockSize, nanos, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, List.of());
    }
}
