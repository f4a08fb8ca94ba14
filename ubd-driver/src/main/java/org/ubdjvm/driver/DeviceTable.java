package org.ubdjvm.driver;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The guest's ubd0..ubd15. */
public final class DeviceTable implements AutoCloseable {
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
