package org.ubdjvm.harness.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.CowOverExport;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;

/**
 * One {@code ubd serve} is another's backing: a COW over {@code ubd serve -r}'s export of a raw file (in a JVM of
 * its own, as on another host) reads as the same COW over the file, and its writes stay in the COW.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServedBackingTest {
    @TempDir
    Path dir;

    @Test
    void cowOverAnotherUbdServeReadsAsOverTheFile() throws Exception {
        Path base = Ubd.patterned(dir.resolve("base.raw"), (1 << 20) + 3 * 512);
        Path socket = dir.resolve("serve.sock");
        Process server = UbdProcess.builder(java.util.List.of(), java.util.List.of(), "serve", "-r", "-f", "raw",
                "-k", socket.toString(), base.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("serve.log").toFile()).start();
        try (IoEngine engine = new SyncEngine()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(socket)) {
                if (!server.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("ubd serve made no socket: " + Files.readString(dir.resolve("serve.log")));
                }
                Thread.sleep(50);
            }
            CowOverExport.assertReadsAsOverTheFile(dir, base, "nbd+unix:///?socket=" + socket, engine);
        } finally {
            server.destroy(); // SIGTERM: the server closes its image and exits
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }
}
