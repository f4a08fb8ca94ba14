package org.ubdjvm.harness.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceTable;
import org.ubdjvm.driver.FlushMode;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.driver.UbdOptionException;
import org.ubdjvm.harness.AccessPattern;
import org.ubdjvm.harness.ByteSize;
import org.ubdjvm.harness.Warnings;
import org.ubdjvm.harness.control.ControlServer;
import org.ubdjvm.harness.control.DeviceCommands;
import org.ubdjvm.harness.guest.Guest;
import org.ubdjvm.harness.guest.RunResult;
import org.ubdjvm.harness.guest.TraceRecorder;
import org.ubdjvm.harness.guest.WorkloadSpec;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.queue.RingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ubd run ubd0=cow,back [ubd1=...]}: the JVM guest. Devices use the kernel's syntax; the workload options
 * follow fio's names (rw, rwmixread, bs, iodepth, numjobs, runtime).
 */
@Command(name = "run", description = {"Run a guest workload on ubd devices through the request ring and the driver.",
        "  ubd run ubd0=disk.cow,disk.img --rw=randrw --bs=4k --iodepth=8 --threads=2 --runtime=5s --verify",
        "  ubd run ubd0r=disk.img --rw=randread --output=json",
        "  ubd run ubd0=disk.cow,disk.img --workload=randread,bs=4k,iodepth=32,threads=2,runtime=5s"})
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ubdN[flags]=FILE[,BACKING]", arity = "1..16",
            description = "devices, as on the UML kernel command line (flags: r s d c t and the seed's letters;"
                    + " d names the format raw: a probed raw disk refuses writes that make it look like a COW file)")
    List<String> devices;

    @Option(names = "--workload", paramLabel = "MODE[,KEY=VALUE...]",
            description = "the workload in one argument, with fio's names: a mode (as --rw), then any of rw=, rwmixread=, "
                    + "bs=, iodepth=, threads= (numjobs=), runtime=, ops=, flush-every=, seed= and verify; these win over "
                    + "the separate options")
    String workloadText;

    @Mixin
    WorkloadOptions workload = new WorkloadOptions(AccessPattern.randrw, 8, "5s");

    @Option(names = "--rwmixread", defaultValue = "50", paramLabel = "PCT", description = "reads in %% for rw/randrw (default: ${DEFAULT-VALUE})")
    int rwmixread;

    @Option(names = {"--threads", "--numjobs"}, defaultValue = "1", paramLabel = "N", description = "submitter threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--ops", defaultValue = "0", paramLabel = "N", description = "stop each thread after N requests (0: no limit)")
    long ops;

    @Option(names = "--flush-every", defaultValue = "0", paramLabel = "N", description = "a flush after every N writes per thread")
    int flushEvery;

    @Option(names = "--barrier", defaultValue = "sync", paramLabel = "MODE",
            description = "what a flush does on devices without s: sync (fdatasync + COW bitmap) or none")
    String barrier;

    @Option(names = "--verify", description = "write self-describing blocks and check every read")
    boolean verify;

    @Mixin
    SeedOption seed = new SeedOption(1);

    @Option(names = "--journal", paramLabel = "FILE",
            description = "after each completed flush, record atomically in FILE what it made durable (for kill tests)")
    java.nio.file.Path journal;

    @Option(names = "--trace", paramLabel = "FILE",
            description = "record every request the guest issues in FILE as an fio version 3 iolog (fio --read_iolog, "
                    + "ubd replay); writes are then self-describing blocks, so a replay writes the same bytes")
    java.nio.file.Path trace;

    @Option(names = "--control", paramLabel = "SOCKET",
            description = "listen on the Unix socket SOCKET for QMP-shaped JSON commands while the guest runs "
                    + "(ubd ctl SOCKET query-devices | snapshot ubd0 FILE)")
    java.nio.file.Path control;

    @Option(names = "--continue-on-error",
            description = "count host errors (ENOSPC, EIO) and go on; by default the first one ends the run (exit 2)")
    boolean continueOnError;

    @Mixin
    OutputOption output;

    @Option(names = "--target", paramLabel = "NAME", split = ",",
            description = "run the workload on these devices only: a disk (ubd0) or a partition of one (ubd0p2, the"
                    + " kernel's ubda2); default: every disk")
    List<String> targets = List.of();

    @Option(names = "--request-timeout", defaultValue = "30s", paramLabel = "TIME",
            description = "a request not answered in TIME fails with ETIMEDOUT and ends the run (blk-mq's timeout; "
                    + "a device's T<seconds> letter wins) (default: ${DEFAULT-VALUE})")
    String requestTimeout;

    @Mixin
    EngineOption engineOption;

    @Mixin
    ForceShareOption share;

    @Mixin
    LayerOptions layers;

    /** What the engine goes through before the devices get it: itself, except in tests (see UbdMain). */
    private final UnaryOperator<IoEngine> engineSeam;

    RunCommand() {
        this(UnaryOperator.identity());
    }

    RunCommand(UnaryOperator<IoEngine> engineSeam) {
        this.engineSeam = engineSeam;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        WorkloadSpec workload = workloadSpec();
        if (journal != null) {
            Guest.checkJournal(journal); // before any device is opened or made
        }
        if (trace != null) {
            TraceRecorder.checkWritable(trace);
        }
        FlushMode mode = switch (barrier) {
            case "sync" -> FlushMode.SYNC_ON_BARRIER;
            case "none" -> FlushMode.NONE;
            default -> throw new ParameterException(spec.commandLine(), "--barrier must be sync or none, not '" + barrier + "'");
        };
        PrintWriter out = spec.commandLine().getOut();
        RingConfig ring = RingConfig.of("ubd").withRequestTimeout(requestTimeout());
        try (IoEngine engine = engineSeam.apply(engineOption.open(spec.commandLine().getErr()));
             DeviceTable table = new DeviceTable(layers.apply(DeviceEnvironment.of(ImageOpener.over(engine))
                     .withRing(ring).withBarrierMode(mode)
                     .withForceShare(share.forceShare).withWarnings(Warnings.to(spec.commandLine().getErr()))))) {
            for (String d : devices) {
                try {
                    table.add(d);
                } catch (UbdOptionException e) {
                    throw new ParameterException(spec.commandLine(), e.getMessage());
                }
            }
            List<UbdDevice> guestDevices = targets(table);
            RunResult result;
            DeviceCommands controls = new DeviceCommands(table.all());
            try (ControlServer server = control == null ? null : ControlServer.start(control, controls.commands(),
                    Warnings.to(spec.commandLine().getErr()))) {
                if (server != null) {
                    controls.events(server::broadcast);
                }
                if (trace == null) {
                    result = new Guest(guestDevices, workload, journal, continueOnError).run();
                } else {
                    try (TraceRecorder recorder = new TraceRecorder(trace, traceNames(guestDevices))) {
                        result = new Guest(guestDevices, workload, journal, continueOnError, recorder).run();
                    }
                }
            }
            if (output.json()) {
                out.print(json(guestDevices, workload, engine, result));
            } else {
                human(out, guestDevices, workload, engine, result);
            }
            // host errors first: a failed write can show up as a mismatch too
            return result.errors() > 0 ? UbdMain.BAD_INPUT : result.mismatches() > 0 ? UbdMain.MISMATCH : UbdMain.OK;
        }
    }

    /** The devices {@code --target} names, else every disk; an unknown name is a usage error. */
    private List<UbdDevice> targets(DeviceTable table) {
        if (targets.isEmpty()) {
            return table.all();
        }
        List<UbdDevice> out = new java.util.ArrayList<>();
        for (String t : targets) {
            try {
                out.add(table.target(t.strip()));
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "--target " + e.getMessage());
            }
        }
        return out;
    }

    /** Applies {@code --workload}: each setting is the same as the option of that name. */
    private void applyWorkloadText() {
        for (String part : workloadText.split(",")) {
            String key = part.contains("=") ? part.substring(0, part.indexOf('=')).strip() : part.strip();
            String value = part.contains("=") ? part.substring(part.indexOf('=') + 1).strip() : null;
            try {
                switch (key) {
                    case "rw" -> workload.rw = AccessPattern.valueOf(required(key, value));
                    case "rwmixread" -> rwmixread = Integer.parseInt(required(key, value));
                    case "bs" -> workload.bs = required(key, value);
                    case "iodepth" -> workload.iodepth = Integer.parseInt(required(key, value));
                    case "threads", "numjobs" -> threads = Integer.parseInt(required(key, value));
                    case "runtime" -> workload.runtime = required(key, value);
                    case "ops" -> ops = Long.parseLong(required(key, value));
                    case "flush-every" -> flushEvery = Integer.parseInt(required(key, value));
                    case "seed" -> seed.seed = Long.parseLong(required(key, value));
                    case "verify" -> verify = value == null || Boolean.parseBoolean(value);
                    default -> {
                        if (value != null) {
                            throw new ParameterException(spec.commandLine(), "--workload: unknown setting '" + key
                                    + "' (rw, rwmixread, bs, iodepth, threads, runtime, ops, flush-every, seed, verify)");
                        }
                        workload.rw = AccessPattern.valueOf(key);
                    }
                }
            } catch (IllegalArgumentException e) { // a bad number or mode: NumberFormatException is one too
                throw new ParameterException(spec.commandLine(), "--workload: bad " + (value == null ? "mode" : key)
                        + " '" + (value == null ? key : value) + "' in '" + workloadText + "'");
            }
        }
    }

    private String required(String key, String value) {
        if (value == null || value.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--workload: " + key + " needs a value, e.g. " + key + "=4");
        }
        return value;
    }

    private WorkloadSpec workloadSpec() {
        if (workloadText != null) {
            applyWorkloadText();
        }
        AccessPattern rw = workload.rw;
        try {
            return new WorkloadSpec(rw.random(), rw.readPercent(rwmixread), (int) ByteSize.parse(workload.bs),
                    workload.iodepth, threads, workload.runtime(), ops, flushEvery, verify, seed.seed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private Duration requestTimeout() {
        Duration timeout = TimeOption.parse(spec, "--request-timeout", requestTimeout);
        if (timeout.toMillis() < 1) {
            throw new ParameterException(spec.commandLine(), "--request-timeout must be at least 1ms, not "
                    + requestTimeout);
        }
        return timeout;
    }

    /** The names a trace gives the devices: {@code ubd0}, {@code ubd1}, as the user numbered them. */
    static List<String> traceNames(List<UbdDevice> devices) {
        return devices.stream().map(d -> "ubd" + d.spec().unit()).toList();
    }

    static void human(PrintWriter out, List<UbdDevice> devices, WorkloadSpec w, IoEngine engine, RunResult r) {
        humanDevices(out, devices, engine);
        out.printf("workload: %s %d%% reads, bs %s, iodepth %d x %d threads%s%n", w.random() ? "random" : "sequential",
                w.readPercent(), ByteSize.human(w.blockSize()), w.queueDepth(), w.threads(), w.verify() ? ", verified" : "");
        humanResult(out, w.verify(), engine, r, "");
    }

    static void humanDevices(PrintWriter out, List<UbdDevice> devices, IoEngine engine) {
        for (UbdDevice d : devices) {
            out.printf("%s: %s (%s%s%s)%n", d.name(), d.spec().file(), ByteSize.human(d.capacity()),
                    d.readOnly() ? ", read-only" : "",
                    d.engineName().equals(engine.name()) ? "" : ", engine " + d.engineName());
        }
    }

    /** The figures {@code run} and {@code replay} both report; {@code extraRequests} such as ", 3 discards". */
    static void humanResult(PrintWriter out, boolean verify, IoEngine engine, RunResult r, String extraRequests) {
        out.printf("requests: %d reads, %d writes, %d flushes%s in %.2f s%n", r.reads(), r.writes(), r.flushes(),
                extraRequests, r.seconds());
        out.printf("iops: %.0f  throughput: %.1f MiB/s%n", r.iops(), r.mbPerSecond());
        out.printf("latency (us): p50 %.1f  p99 %.1f  p99.9 %.1f%n", r.p50Micros(), r.p99Micros(), r.p999Micros());
        if (verify) {
            out.printf("verified sectors: %d  mismatches: %d%n", r.verifiedSectors(), r.mismatches());
        }
        out.printf("errors: %d%n", r.errors());
        for (String p : r.firstProblems()) {
            out.printf("  %s%n", p);
        }
        out.printf("engine: %s%n", engine.name());
    }

    private static String json(List<UbdDevice> devices, WorkloadSpec w, IoEngine engine, RunResult r) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = jsonDevices(mapper, devices, engine);
        root.putObject("workload").put("random", w.random()).put("read-percent", w.readPercent())
                .put("block-size", w.blockSize()).put("iodepth", w.queueDepth()).put("threads", w.threads())
                .put("verify", w.verify());
        jsonResult(root, r);
        return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    static ObjectNode jsonDevices(ObjectMapper mapper, List<UbdDevice> devices, IoEngine engine) {
        ObjectNode root = mapper.createObjectNode();
        var devs = root.putArray("devices");
        for (UbdDevice d : devices) {
            devs.addObject().put("name", d.name()).put("filename", d.spec().file().toString()).put("capacity", d.capacity())
                    .put("engine", d.engineName());
        }
        root.put("engine", engine.name());
        return root;
    }

    static void jsonResult(ObjectNode root, RunResult r) {
        root.put("reads", r.reads()).put("writes", r.writes()).put("flushes", r.flushes())
                .put("elapsed-seconds", r.seconds()).put("iops", r.iops()).put("mib-per-second", r.mbPerSecond());
        root.putObject("latency-us").put("p50", r.p50Micros()).put("p99", r.p99Micros()).put("p99.9", r.p999Micros());
        root.put("verified-sectors", r.verifiedSectors()).put("mismatches", r.mismatches()).put("errors", r.errors());
        root.putPOJO("problems", r.firstProblems());
    }
}
