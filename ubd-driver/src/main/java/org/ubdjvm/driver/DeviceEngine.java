package org.ubdjvm.driver;

import java.io.IOException;
import org.ubdjvm.hostio.AsyncEngine;
import org.ubdjvm.hostio.EngineSelection;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;
import org.ubdjvm.hostio.MmapEngine;
import org.ubdjvm.hostio.SyncEngine;

/**
 * The engine one device's files go through: the table's shared engine, unless the device's own letters ask for
 * another, which the device then owns and closes. {@code A0} is the seed's "AIO off" (plain pread/pwrite, for a host
 * whose libc "is being fancy"), {@code A}/{@code A1} forces AIO on (io_uring, else Linux AIO) and fails when the host
 * has neither, and {@code M<b>.<d>} with {@code d > 0} maps data in units of {@code d} pages (the seed's ubd-mmap;
 * its default, {@code M1.0}, maps no data).
 */
record DeviceEngine(IoEngine engine, boolean owned) {
    static final int PAGE = 4096;

    static DeviceEngine choose(DeviceSpec spec, IoEngine shared) throws IOException {
        DeviceFlags f = spec.flags();
        int dataPages = f.mmap() == null ? 0 : f.mmap().dataPages();
        if (dataPages > 0) {
            if (f.aio() == AioMode.ON) {
                throw new IOException(spec.name() + ": A1 and M" + f.mmap().bitmapPages() + "." + dataPages
                        + " both choose how data moves (AIO, or copies from mapped data): give one of them");
            }
            return new DeviceEngine(new MmapEngine(dataPages * PAGE), true);
        }
        return switch (f.aio()) {
            case AUTO -> new DeviceEngine(shared, false);
            case OFF -> shared instanceof SyncEngine ? new DeviceEngine(shared, false)
                    : new DeviceEngine(new SyncEngine(), true);
            case ON -> shared instanceof AsyncEngine ? new DeviceEngine(shared, false) : async(spec);
        };
    }

    private static DeviceEngine async(DeviceSpec spec) throws IOException {
        EngineSelection s = IoEngines.select(IoEngines.AUTO);
        if (!(s.engine() instanceof AsyncEngine)) {
            s.engine().close();
            throw new IOException(spec.name() + ": A1 asks for AIO, but this host has none: " + s.fallbackReason());
        }
        return new DeviceEngine(s.engine(), true);
    }

    void closeIfOwned() {
        if (owned) {
            engine.close();
        }
    }
}
