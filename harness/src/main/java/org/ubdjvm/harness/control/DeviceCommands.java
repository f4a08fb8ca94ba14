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

    private JsonNode snapshot(ObjectNode arguments) throws ControlError {
        Arguments args = Arguments.of("snapshot", arguments, List.of("device", "file", "format", "options"));
        UbdDevice d = device(args);
        Path file = path(args, "file");
        String format = args.text("format");
        Map<String, String> options = args.options("options");
        Duration pause;
        synchronized (d) { // one switch at a time per device
            try {
                pause = d.snapshot(file, format, options, SNAPSHOT_WAIT);
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
