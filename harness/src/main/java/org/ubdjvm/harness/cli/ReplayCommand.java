package org.ubdjvm.harness.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceTable;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.driver.UbdOptionException;
import org.ubdjvm.harness.Warnings;
import org.ubdjvm.harness.guest.IoLog;
import org.ubdjvm.harness.guest.RunResult;
import org.ubdjvm.harness.guest.TraceReplay;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.queue.RequestOp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ubd replay TRACE ubd0=...}: an fio iolog (ours from {@code ubd run --trace}, or fio's {@code --write_iolog})
 * through the devices' rings and the driver, in the recorded order, with its flush points and, unless asked to go
 * as fast as possible, its timing.
 */
@Command(name = "replay", description = {"Replay an fio iolog (ubd run --trace, fio --write_iolog) on ubd devices.",
        "  ubd replay t.log ubd0=disk.cow,disk.img --as-fast-as-possible --verify",
        "  ubd replay fio.log ubd1d=disk.img --map=disk.img=ubd1 --speed=2",
        "The trace's files go to the devices in order (or by --map). Writes carry",
        "self-describing sectors: a replay on the same starting image writes the same",
        "bytes, and --verify checks every read."})
final class ReplayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TRACE", description = "an fio iolog, version 3 or 2")
    Path traceFile;

    @Parameters(index = "1..*", arity = "1..16", paramLabel = "ubdN[flags]=FILE[,BACKING]",
            description = "devices, as for ubd run; the trace's files go to them in order")
    List<String> devices;

    @Option(names = "--map", paramLabel = "NAME=ubdN",
            description = "replay the trace's file NAME on device ubdN (then every file needs one)")
    List<String> maps = new ArrayList<>();

    @Option(names = "--speed", paramLabel = "N",
            description = "replay at N times the recorded pace (default: 1, the recorded timing)")
    Double speed;

    @Option(names = "--as-fast-as-possible", description = "ignore the recorded timing; keep order and flush points")
    boolean asFastAsPossible;

    @Option(names = "--iodepth", defaultValue = "32", paramLabel = "N",
            description = "requests in flight at most; overlapping ones still wait for each other (default: ${DEFAULT-VALUE})")
    int iodepth;

    @Option(names = "--verify", description = "check every read: what the replay wrote, exactly; anything else, intact")
    boolean verify;

    @Mixin
    EngineOption engineOption;

    @Mixin
    ForceShareOption share;

    @Mixin
    LayerOptions layers;

    @Mixin
    OutputOption output;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (speed != null && asFastAsPossible) {
            throw usage("--speed and --as-fast-as-possible: give one");
        }
        if (speed != null && !(speed > 0 && speed < 1e6)) {
            throw usage("--speed must be a positive number, not " + speed);
        }
        TraceReplay.Options options;
        try {
            options = new TraceReplay.Options(asFastAsPossible ? 0 : speed == null ? 1 : speed, verify, iodepth, null);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        Map<String, Integer> wanted = parseMaps();
        IoLog log = IoLog.read(traceFile); // a bad trace is refused before any device opens
        PrintWriter out = spec.commandLine().getOut();
        try (IoEngine engine = engineOption.open(spec.commandLine().getErr());
             DeviceTable table = new DeviceTable(layers.apply(DeviceEnvironment.of(ImageOpener.over(engine)))
                     .withForceShare(share.forceShare).withWarnings(Warnings.to(spec.commandLine().getErr())))) {
            for (String d : devices) {
                try {
                    table.add(d);
                } catch (UbdOptionException e) {
                    throw usage(e.getMessage());
                }
            }
            List<UbdDevice> all = table.all();
            int[] deviceOfFile = deviceOfFile(log, all, wanted);
            RunResult result;
            long discards;
            try (Progress progress = Progress.of("replay", log.size(), output.json())) {
                TraceReplay replay = new TraceReplay(log, all, deviceOfFile, options.withProgress(progress::stepTo));
                result = replay.run();
                discards = replay.discards();
            }
            report(out, all, engine, log, deviceOfFile, options, result, discards);
            return result.mismatches() > 0 ? UbdMain.MISMATCH : UbdMain.OK;
        }
    }

    private void report(PrintWriter out, List<UbdDevice> all, IoEngine engine, IoLog log, int[] deviceOfFile,
            TraceReplay.Options options, RunResult result, long discards) throws IOException {
        if (output.json()) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = RunCommand.jsonDevices(mapper, all, engine);
            ObjectNode t = root.putObject("trace").put("filename", traceFile.toString()).put("requests", log.size())
                    .put("speed", options.speed()).put("iodepth", iodepth).put("verify", verify);
            var files = t.putObject("files");
            for (int f = 0; f < log.files().size(); f++) {
                files.put(log.files().get(f), all.get(deviceOfFile[f]).name());
            }
            RunCommand.jsonResult(root, result);
            root.put("discards", discards);
            out.print(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        } else {
            RunCommand.humanDevices(out, all, engine);
            long[] byOp = log.countByOp();
            out.printf("trace: %s, %d requests (%d reads, %d writes, %d flushes, %d discards), %s%s%n", traceFile,
                    log.size(), byOp[RequestOp.READ.ordinal()], byOp[RequestOp.WRITE.ordinal()],
                    byOp[RequestOp.FLUSH.ordinal()], byOp[RequestOp.DISCARD.ordinal()],
                    options.speed() == 0 ? "as fast as possible" : "at " + options.speed() + "x the recorded pace",
                    verify ? ", verified" : "");
            RunCommand.humanResult(out, verify, engine, result, ", " + discards + " discards");
        }
    }

    /** {@code --map NAME=ubdN}: trace file name to device unit. */
    private Map<String, Integer> parseMaps() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String map : maps) {
            int eq = map.lastIndexOf('=');
            int unit = eq < 0 ? -1 : unit(map.substring(eq + 1));
            if (eq <= 0 || unit < 0) {
                throw usage("--map: expected NAME=ubdN (ubd0..ubd15 or ubda..ubdp), not '" + map + "'");
            }
            if (m.put(map.substring(0, eq), unit) != null) {
                throw usage("--map: " + map.substring(0, eq) + " mapped twice");
            }
        }
        return m;
    }

    private static int unit(String device) {
        if (device.matches("ubd([0-9]|1[0-5])")) {
            return Integer.parseInt(device.substring(3));
        }
        if (device.matches("ubd[a-p]")) {
            return device.charAt(3) - 'a';
        }
        return -1;
    }

    /** Which device (index into {@code all}) each of the trace's files goes to. */
    private int[] deviceOfFile(IoLog log, List<UbdDevice> all, Map<String, Integer> wanted) {
        List<String> files = log.files();
        int[] map = new int[files.size()];
        if (wanted.isEmpty()) {
            if (files.size() != all.size()) {
                throw usage(traceFile + " names " + files.size() + " file(s) (" + String.join(", ", files) + ") but "
                        + all.size() + " device(s) were given: one device per file, in order, or --map NAME=ubdN");
            }
            for (int f = 0; f < map.length; f++) {
                map[f] = f;
            }
            return map;
        }
        for (String name : wanted.keySet()) {
            if (!files.contains(name)) {
                throw usage("--map: " + traceFile + " has no file '" + name + "' (it has " + String.join(", ", files) + ")");
            }
        }
        for (int f = 0; f < map.length; f++) {
            Integer unit = wanted.get(files.get(f));
            if (unit == null) {
                throw usage("--map: no device for " + traceFile + "'s file '" + files.get(f) + "'");
            }
            map[f] = -1;
            for (int d = 0; d < all.size(); d++) {
                if (all.get(d).spec().unit() == unit) {
                    map[f] = d;
                }
            }
            if (map[f] < 0) {
                throw usage("--map: " + files.get(f) + "=ubd" + unit + ", but no device ubd" + unit + " was given");
            }
        }
        return map;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
