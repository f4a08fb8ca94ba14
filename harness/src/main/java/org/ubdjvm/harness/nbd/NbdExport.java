package org.ubdjvm.harness.nbd;

import java.nio.charset.StandardCharsets;
import org.ubdjvm.cow.nbd.NbdWire;
import org.ubdjvm.driver.UbdDevice;

/**
 * The one export a server offers: a device (a ring in front of an image stack) under a name. Clients asking for
 * the empty name (the protocol's default export) get it too.
 *
 * @param name        the canonical name, possibly empty
 * @param description shown to people (NBD_INFO_DESCRIPTION), possibly empty
 * @param device      what requests go to; the server never closes it
 */
public record NbdExport(String name, String description, UbdDevice device) {
    /** The largest request payload (read or write) the server takes: the protocol's 32 MiB. */
    public static final int MAX_PAYLOAD = 32 << 20;
    /** The size at which requests are efficient. */
    static final int PREFERRED_BLOCK = 4096;

    public NbdExport {
        if (name.getBytes(StandardCharsets.UTF_8).length > NbdWire.MAX_STRING
                || description.getBytes(StandardCharsets.UTF_8).length > NbdWire.MAX_STRING) {
            throw new IllegalArgumentException("an export name or description is limited to "
                    + NbdWire.MAX_STRING + " bytes");
        }
    }

    /** Whether a client's name picks this export: its own name or the default (empty) one. */
    boolean answersTo(String requested) {
        return requested.isEmpty() || requested.equals(name);
    }

    long size() {
        return device.capacity();
    }

    /** The smallest addressable unit: the image's sector. */
    int minimumBlock() {
        return device.sectorSize();
    }

    int preferredBlock() {
        return Math.max(PREFERRED_BLOCK, minimumBlock());
    }

    boolean readOnly() {
        return device.readOnly();
    }

    /**
     * The transmission flags. {@code NBD_FLAG_CAN_MULTI_CONN}: every connection submits to the same device, whose
     * flush is a barrier on its one ring and then syncs the whole stack, so a flush on any connection covers the
     * writes completed on all of them.
     */
    int transmissionFlags(boolean structured) {
        int flags = NbdWire.FLAG_HAS_FLAGS | NbdWire.FLAG_SEND_FLUSH | NbdWire.FLAG_SEND_CACHE
                | NbdWire.FLAG_CAN_MULTI_CONN;
        if (readOnly()) {
            flags |= NbdWire.FLAG_READ_ONLY;
        } else {
            flags |= NbdWire.FLAG_SEND_FUA | NbdWire.FLAG_SEND_TRIM | NbdWire.FLAG_SEND_WRITE_ZEROES
                    | NbdWire.FLAG_SEND_FAST_ZERO;
        }
        if (structured) {
            flags |= NbdWire.FLAG_SEND_DF; // a read is always answered in one data chunk
        }
        return flags;
    }
}
