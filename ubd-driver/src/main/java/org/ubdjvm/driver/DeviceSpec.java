package org.ubdjvm.driver;

import java.nio.file.Path;
import org.ubdjvm.cow.EngineRequest;

/**
 * One {@code ubd<n><flags>=file[,backing[,serial]]} argument, parsed and checked.
 *
 * @param unit    device number, 0..15 ({@code ubd0}..{@code ubd15}, or {@code ubda}..{@code ubdp})
 * @param file    the image file (the COW file when a backing file is given)
 * @param backing backing file, or null
 * @param serial  serial string reported to the guest, or null
 */
public record DeviceSpec(int unit, Path file, Path backing, String serial, DeviceFlags flags) {
    static final int PAGE = 4096;

    public String name() {
        return "ubd" + (char) ('a' + unit);
    }

    /**
     * The engine the letters ask for: {@code M<b>.<d>} with {@code d > 0} maps data in windows of {@code d} pages
     * (the seed's ubd-mmap; its default {@code M1.0} maps none), {@code A0} is AIO off, {@code A}/{@code A1} AIO
     * on; otherwise the guest's shared engine. The parser refuses {@code A1} with mapped data.
     */
    public EngineRequest engineRequest() {
        int dataPages = flags.mmap().dataPages();
        if (dataPages > 0) {
            return EngineRequest.mapped(dataPages * PAGE);
        }
        return switch (flags.aio()) {
            case AUTO -> EngineRequest.SHARED;
            case OFF -> EngineRequest.SYNC;
            case ON -> EngineRequest.ASYNC;
        };
    }
}
