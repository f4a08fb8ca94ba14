package org.ubdjvm.harness.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ubdjvm.cow.ImageInfo;
import java.util.function.BiConsumer;
import org.ubdjvm.driver.CommitJob;
import org.ubdjvm.driver.CommitRequest;
import org.ubdjvm.driver.JobOutcome;
import org.ubdjvm.driver.JobProgress;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.harness.ByteSize;

/**
 * The commands over a guest's devices: {@code query-devices} (each device, its stack, top first, so a script never
 * guesses the chain from backing names, and its running jobs), {@code snapshot} (a new top at a barrier), and the
 * background commit: {@code commit}, {@code query-jobs} (also {@code jobs}), {@code job-cancel}. A job's end is an
 * event, {@code JOB_COMPLETED}, {@code JOB_CANCELLED} or {@code JOB_FAILED}, sent through {@link #events}.
 */
public final class DeviceCommands {
    /** Only asked how a layer's location is written (an NBD URI as written): no file is opened through it. */
    private static final org.ubdjvm.cow.FormatTable NAMES = org.ubdjvm.cow.FormatTable.standard();

    /** How long a snapshot may wait for the barrier: a request timeout's worth, as the ring bounds every request. */
    private static final Duration SNAPSHOT_WAIT = Duration.ofSeconds(60);

    /** Ended jobs {@code query-jobs} still lists, oldest dropped first. */
    static final int ENDED_JOBS_KEPT = 32;

    private final List<UbdDevice> devices;
    private final ObjectMapper json = new ObjectMapper();
    /** Jobs started here, by id, in start order: the running ones and the last ended ones. */
    private final Map<String, CommitJob> jobs = new LinkedHashMap<>();
    private volatile BiConsumer<String, JsonNode> events = (name, data) -> { };

    public DeviceCommands(List<UbdDevice> devices) {
        this.devices = List.copyOf(devices);
    }

    /** Where job events go: {@link ControlServer#broadcast}, once the server runs. */
    public void events(BiConsumer<String, JsonNode> sink) {
        events = sink;
    }

    /** The command table for {@link ControlServer#start}. */
    public Map<String, ControlCommand> commands() {
        Map<String, ControlCommand> c = new LinkedHashMap<>();
        // QMP clients send it first; nothing to negotiate
        c.put("qmp_capabilities", args -> {
            Arguments.of("qmp_capabilities", args, List.of());
            return json.createObjectNode();
        });
        c.put("query-commands", args -> {
            Arguments.of("query-commands", args, List.of());
            ArrayNode names = json.createArrayNode();
            for (String n : c.keySet()) { // this table itself: a command added below is listed without more code
                names.addObject().put("name", n);
            }
            return names;
        });
        c.put("query-devices", args -> {
            Arguments.of("query-devices", args, List.of());
            return queryDevices();
        });
        c.put("snapshot", this::snapshot);
        c.put("commit", this::commit);
        c.put("query-jobs", args -> {
            Arguments.of("query-jobs", args, List.of());
            return queryJobs();
        });
        c.put("jobs", args -> {
            Arguments.of("jobs", args, List.of());
            return queryJobs();
        });
        c.put("job-cancel", this::cancel);
        return c;
    }

    private JsonNode queryDevices() throws ControlError {
        ArrayNode list = json.createArrayNode();
        for (int unit = 0; unit < devices.size(); unit++) {
            UbdDevice d = devices.get(unit);
            ObjectNode n = list.addObject();
            n.put("device", "ubd" + unit);
            n.put("name", d.name());
            n.put("virtual-size", d.capacity());
            n.put("read-only", d.readOnly());
            ArrayNode stack = n.putArray("stack");
            try {
                int depth = 0;
                for (ImageInfo layer = d.stack(); layer != null; layer = layer.backing()) {
                    stack.addObject().put("filename", NAMES.displayName(layer.filename()))
                            .put("format", layer.format())
                            .put("read-only", depth > 0 || d.readOnly()).put("depth", depth);
                    depth++;
                }
            } catch (IOException e) {
                throw ControlError.generic(d.name() + ": " + e.getMessage());
            }
            ArrayNode running = n.putArray("jobs");
            CommitJob job = d.job();
            if (job != null && !job.progress().state().ended()) {
                running.add(describe(job));
            }
        }
        return list;
    }

    private JsonNode snapshot(ObjectNode arguments) throws ControlError {
        Arguments args = Arguments.of("snapshot", arguments, List.of("device", "file", "format", "options"));
        UbdDevice d = device(args);
        Path file = path(args, "file");
        String format = args.text("format");
        Map<String, String> options = args.options("options");
        Duration pause;
        synchronized (d) { // one switch at a time per device
            try {
                pause = d.snapshot(file, format, options, SNAPSHOT_WAIT).pause();
            } catch (IOException e) {
                throw ControlError.generic(e.getMessage());
            }
        }
        ObjectNode r = json.createObjectNode();
        r.put("device", args.text("device"));
        r.put("file", file.toString());
        r.put("pause-ns", pause.toNanos());
        return r;
    }

    private JsonNode commit(ObjectNode arguments) throws ControlError {
        Arguments args = Arguments.of("commit", arguments, List.of("device", "top", "base", "speed"));
        UbdDevice d = device(args);
        CommitRequest request = CommitRequest.defaults();
        if (args.text("top") != null) {
            request = request.withTop(path(args, "top"));
        }
        if (args.text("base") != null) {
            request = request.withBase(path(args, "base"));
        }
        JsonNode v = args.value("speed");
        if (v != null) {
            try {
                request = request.withSpeed(v.isIntegralNumber() ? v.asLong() : ByteSize.parse(v.asText()));
            } catch (IllegalArgumentException e) {
                throw ControlError.generic("'speed': " + e.getMessage());
            }
        }
        CommitJob job;
        synchronized (d) { // not beside a snapshot of the same device
            try {
                job = d.commit(request);
            } catch (IOException e) {
                throw ControlError.generic(e.getMessage());
            }
        }
        remember(job);
        job.outcome().thenAccept(outcome -> events.accept("JOB_" + outcome.state().name(), ended(job, outcome)));
        return describe(job);
    }

    private synchronized void remember(CommitJob job) {
        jobs.put(job.id(), job);
        long ended = jobs.values().stream().filter(j -> j.progress().state().ended()).count();
        for (var it = jobs.values().iterator(); it.hasNext() && ended > ENDED_JOBS_KEPT; ) {
            if (it.next().progress().state().ended()) {
                it.remove();
                ended--;
            }
        }
    }

    private synchronized JsonNode queryJobs() {
        ArrayNode list = json.createArrayNode();
        for (CommitJob job : jobs.values()) {
            list.add(describe(job));
        }
        return list;
    }

    private JsonNode cancel(ObjectNode arguments) throws ControlError {
        String id = Arguments.of("job-cancel", arguments, List.of("id")).requiredText("id", "a job id from query-jobs");
        CommitJob job;
        synchronized (this) {
            job = jobs.get(id);
        }
        if (job == null) {
            throw ControlError.generic("no job '" + id + "'");
        }
        if (job.progress().state().ended()) {
            throw ControlError.generic("job " + job.id() + " has ended (" + job.progress().state().label() + ")");
        }
        job.cancel();
        return describe(job);
    }

    /** id, device, type, state, done, total, speed (bytes a second now), limit (asked for; 0: none), layers. */
    private ObjectNode describe(CommitJob job) {
        JobProgress p = job.progress();
        ObjectNode n = json.createObjectNode();
        n.put("id", job.id()).put("device", job.device()).put("type", job.type()).put("state", p.state().label())
                .put("done", p.bytesDone()).put("total", p.bytesTotal()).put("speed", p.bytesPerSecond())
                .put("limit", job.speedLimit());
        ArrayNode layers = n.putArray("layers");
        job.layers().forEach(f -> layers.add(f.toString()));
        return n;
    }

    private ObjectNode ended(CommitJob job, JobOutcome outcome) {
        ObjectNode n = describe(job);
        if (!outcome.reason().isEmpty()) {
            n.put("reason", outcome.reason());
        }
        n.put("pause-ns", job.switchPause().toNanos());
        return n;
    }

    /** {@code "device"}: {@code ubd0} (the unit) or the kernel's {@code ubda}. */
    private UbdDevice device(Arguments args) throws ControlError {
        String name = args.requiredText("device", "ubd0, ubd1, ... or ubda, ubdb, ...");
        for (int unit = 0; unit < devices.size(); unit++) {
            if (name.equals("ubd" + unit) || name.equals(devices.get(unit).name())) {
                return devices.get(unit);
            }
        }
        throw new ControlError(ControlError.DEVICE_NOT_FOUND, "no device '" + name + "'");
    }

    private static Path path(Arguments args, String key) throws ControlError {
        String v = args.requiredText(key, "a file name");
        try {
            return Path.of(v).toAbsolutePath();
        } catch (InvalidPathException e) {
            throw ControlError.generic("'" + key + "': not a file name: " + e.getMessage());
        }
    }
}
