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
import org.ubdjvm.driver.UbdDevice;

/**
 * The commands over a guest's devices: {@code query-devices} (each device and its stack, top first, so a script
 * never guesses the chain from backing names) and {@code snapshot} (a new top at a barrier).
 */
public final class DeviceCommands {
    /** How long a snapshot may wait for the barrier: a request timeout's worth, as the ring bounds every request. */
    private static final Duration SNAPSHOT_WAIT = Duration.ofSeconds(60);

    private final List<UbdDevice> devices;
    private final ObjectMapper json = new ObjectMapper();

    public DeviceCommands(List<UbdDevice> devices) {
        this.devices = List.copyOf(devices);
    }

    /** The command table for {@link ControlServer#start}. */
    public Map<String, ControlCommand> commands() {
        Map<String, ControlCommand> c = new LinkedHashMap<>();
        c.put("qmp_capabilities", args -> json.createObjectNode()); // QMP clients send it first; nothing to negotiate
        c.put("query-commands", args -> {
            ArrayNode names = json.createArrayNode();
            for (String n : c.keySet()) { // this table itself: a command added below is listed without more code
                names.addObject().put("name", n);
            }
            return names;
        });
        c.put("query-devices", args -> queryDevices());
        c.put("snapshot", this::snapshot);
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
                    stack.addObject().put("filename", layer.filename().toString()).put("format", layer.format())
                            .put("read-only", depth > 0 || d.readOnly()).put("depth", depth);
                    depth++;
                }
            } catch (IOException e) {
                throw ControlError.generic(d.name() + ": " + e.getMessage());
            }
            n.putArray("jobs");
        }
        return list;
    }

    private JsonNode snapshot(ObjectNode args) throws ControlError {
        UbdDevice d = device(args);
        Path file = path(args, "file");
        String format = args.hasNonNull("format") ? args.get("format").asText() : null;
        Duration pause;
        synchronized (d) { // one switch at a time per device
            try {
                pause = d.snapshot(file, format, SNAPSHOT_WAIT).pause();
            } catch (IOException e) {
                throw ControlError.generic(e.getMessage());
            }
        }
        ObjectNode r = json.createObjectNode();
        r.put("device", args.get("device").asText());
        r.put("file", file.toString());
        r.put("pause-ns", pause.toNanos());
        return r;
    }

    /** {@code "device"}: {@code ubd0} (the unit) or the kernel's {@code ubda}. */
    private UbdDevice device(ObjectNode args) throws ControlError {
        JsonNode name = args.get("device");
        if (name == null || !name.isTextual()) {
            throw ControlError.generic("missing 'device' (ubd0, ubd1, ... or ubda, ubdb, ...)");
        }
        for (int unit = 0; unit < devices.size(); unit++) {
            if (name.asText().equals("ubd" + unit) || name.asText().equals(devices.get(unit).name())) {
                return devices.get(unit);
            }
        }
        throw new ControlError(ControlError.DEVICE_NOT_FOUND, "no device '" + name.asText() + "'");
    }

    private static Path path(ObjectNode args, String key) throws ControlError {
        JsonNode v = args.get(key);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw ControlError.generic("missing '" + key + "' (a file name)");
        }
        try {
            return Path.of(v.asText()).toAbsolutePath();
        } catch (InvalidPathException e) {
            throw ControlError.generic("'" + key + "': not a file name: " + e.getMessage());
        }
    }
}
