package org.ubdjvm.driver;

import java.nio.file.Path;

/**
 * One {@code ubd<n><flags>=file[,backing[,serial]]} argument, parsed and checked.
 *
 * @param unit    device number, 0..15 ({@code ubd0}..{@code ubd15}, or {@code ubda}..{@code ubdp})
 * @param file    the image file (the COW file when a backing file is given)
 * @param backing backing file, or null
 * @param serial  serial string reported to the guest, or null
 */
public record DeviceSpec(int unit, Path file, Path backing, String serial, DeviceFlags flags) {
    public String name() {
        return "ubd" + (char) ('a' + unit);
    }
}
