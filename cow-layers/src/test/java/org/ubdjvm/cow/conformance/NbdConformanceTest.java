package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.testing.NbdServer;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/**
 * The NBD layer opened read-write by its URI, over qemu-nbd's writable export of a patterned raw file (named
 * {@code base.raw}, so errors name the file the suite looks for). The host engine is not used: the bytes travel
 * over the socket.
 */
class NbdConformanceTest extends BlockImageConformance {
    private final List<NbdServer> servers = new ArrayList<>();

    @Override
    protected TestStack make(Path dir, IoEngine engine) throws IOException {
        TestStack stack = TestStack.patternedRaw(dir, engine, "base.raw", UmlCowLayers.SIZE);
        NbdServer server = NbdServer.qemuNbd(stack.top(), false, "base.raw");
        servers.add(server);
        Path uri = Path.of(server.uri());
        return stack.openedBy((top, e, readOnly) -> FormatTable.standard()
                        .open(OpenSpec.of(uri, e).withReadOnly(readOnly)))
                .write(s -> s % 5 == 1, "nbd");
    }

    @AfterEach
    void stopServers() {
        servers.forEach(NbdServer::close);
    }
}
