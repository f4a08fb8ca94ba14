package org.ubdjvm.cow.nbd;

import java.io.IOException;
import java.util.List;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.CheckReport;
import org.ubdjvm.cow.CreateOption;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.cow.ImageFormat;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.ProbeBytes;
import org.ubdjvm.cow.WaitLimit;

/**
 * NBD as a protocol layer (qemu's {@code block/nbd.c}): the table finds it by its URI ({@link #claimLocation}),
 * never by probing bytes, so it sits at the bottom of any chain (a COW's backing name can be an NBD URI) and every
 * format above it is unchanged. Opened read-only as a backing, like any lower layer; read-write as a top only when
 * the export allows writes.
 */
public final class NbdFormat implements ImageFormat {
    public static final String NAME = "nbd";

    @Override
    public String name() {
        return NAME;
    }

    /** An export has no bytes of its own to claim: it is found by its URI. */
    @Override
    public boolean probe(ProbeBytes head) {
        return false;
    }

    /** {@code nbd://}, {@code nbd+unix://} (and the TLS schemes, refused at open): the URI in its standard form. */
    @Override
    public String claimLocation(String name) {
        if (!NbdUri.claims(name)) {
            return null;
        }
        try {
            return NbdUri.parse(name).toString();
        } catch (IllegalArgumentException malformed) {
            return name; // ours all the same: open names what is wrong with it
        }
    }

    @Override
    public BlockImage open(OpenSpec spec, FormatTable table) throws IOException {
        NbdUri uri = parse(spec);
        if (spec.backing() != null) {
            throw new ImageException(spec.file(), "an NBD export has no backing file (given: " + spec.backing() + ")");
        }
        NbdConnection connection = NbdConnection.open(uri, spec.file(), WaitLimit.DEFAULT.timeout());
        if (!spec.readOnly() && connection.export().readOnly()) {
            connection.close();
            throw new ImageException(spec.file(), "the NBD export is read-only (NBD_FLAG_READ_ONLY); open it read-only");
        }
        return new NbdImage(spec.file(), uri, connection, spec.readOnly(), spec.syncWrites());
    }

    private static NbdUri parse(OpenSpec spec) throws ImageException {
        try {
            return NbdUri.parse(spec.file().toString());
        } catch (IllegalArgumentException e) {
            throw new ImageException(spec.file(), "bad NBD URI: " + e.getMessage());
        }
    }

    @Override
    public List<CreateOption> createOptions() {
        return List.of();
    }

    @Override
    public void create(CreateSpec spec, FormatTable table) throws IOException {
        throw new ImageException(spec.file(), "an NBD export is made by its server; create a layer over it instead"
                + " (ubd create -f cow -b URI FILE)");
    }

    /** Nothing of an export's is ours to check; the export need only answer the handshake. */
    @Override
    public CheckReport check(OpenSpec spec, boolean repair, FormatTable table) throws IOException {
        open(spec.withReadOnly(true), table).close();
        return CheckReport.clean(spec.file(), NAME);
    }
}
