package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.UmlCowFormat;
import org.ubdjvm.cow.testing.NbdServer;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/**
 * A V3 COW whose backing is qemu-nbd's read-only export of a patterned raw file: the header names the URI, so
 * every open and every check reaches the base through the NBD layer.
 */
class CowOverNbdConformanceTest extends BlockImageConformance {
    private final List<NbdServer> servers = new ArrayList<>();

    @Override
    protected TestStack make(Path dir, IoEngine engine) throws IOException {
        return TestStack.patternedRaw(dir, engine, "base.raw", UmlCowLayers.SIZE)
                .over("top.cow", (file, below) -> {
                    NbdServer server = NbdServer.qemuNbd(below, true, "");
                    servers.add(server);
                    FormatTable.standard().create(CreateSpec.of(file, UmlCowFormat.NAME)
                            .withBacking(Path.of(server.uri())));
                })
                .write(s -> s % 3 == 1, "top");
    }

    @AfterEach
    void stopServers() {
        servers.forEach(NbdServer::close);
    }
}
