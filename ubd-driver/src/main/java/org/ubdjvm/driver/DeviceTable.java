package org.ubdjvm.driver;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The guest's ubd0..ubd15. */
public final class DeviceTable implements AutoCloseable {
    /** ubd0, ubd0p2 (the seed's names); ubda, ubda2 (the kernel's). */
    private static final Pattern TARGET = Pattern.compile("ubd(?:(\\d{1,2})(?:p(\\d{1,3}))?|([a-p])(\\d{1,3})?)");
    private final UbdDevice[] devices = new UbdDevice[UbdOptionParser.MAX_DEVICES];
    private final DeviceEnvironment env;

    public DeviceTable(DeviceEnvironment env) {
        this.env = env;
    }

    /** Parses and opens {@code ubd<n>...=...}; the kernel's "Device is already configured" if the unit is taken. */
    public UbdDevice add(String argument) throws UbdOptionException, IOException {
        DeviceSpec spec = UbdOptionParser.parse(argument);
        if (devices[spec.unit()] != null) {
            throw new UbdOptionException(argument, -1, "Device is already configured");
        }
        UbdDevice d = UbdDevice.open(spec, env);
        devices[spec.unit()] = d;
        return d;
    }

    /**
     * The device a guest names: {@code ubd0} or {@code ubda} for a disk, {@code ubd0p2} or the kernel's
     * {@code ubda2} for its partition 2. An unknown name is an error naming it and what there is.
     */
    public UbdDevice target(String name) throws IOException {
        Matcher m = TARGET.matcher(name);
        if (!m.matches()) {
            throw new IOException(name + ": not a device name (ubd0, ubda, ubd0p2, ubda2)");
        }
        int unit = m.group(1) != null ? Integer.parseInt(m.group(1)) : m.group(3).charAt(0) - 'a';
        String part = m.group(2) != null ? m.group(2) : m.group(4);
        UbdDevice disk = unit < devices.length ? devices[unit] : null;
        if (disk == null) {
            throw new IOException(name + ": no such device (configured: " + all().stream().map(UbdDevice::name)
                    .collect(java.util.stream.Collectors.joining(", ")) + ")");
        }
        return part == null ? disk : disk.partition(Integer.parseInt(part));
    }

    public UbdDevice get(int unit) {
        return devices[unit];
    }

    public List<UbdDevice> all() {
        List<UbdDevice> out = new ArrayList<>();
        for (UbdDevice d : devices) {
            if (d != null) {
                out.add(d);
            }
        }
        return out;
    }

    /** Closes every device, reporting the first failure after trying them all. */
    @Override
    public void close() throws IOException {
        IOException first = null;
        for (int i = 0; i < devices.length; i++) {
            if (devices[i] != null) {
                try {
                    devices[i].close();
                } catch (IOException e) {
                    if (first == null) {
                        first = e;
                    }
                }
                devices[i] = null;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
