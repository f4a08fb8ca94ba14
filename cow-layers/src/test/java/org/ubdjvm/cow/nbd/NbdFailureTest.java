package org.ubdjvm.cow.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.UmlCowFormat;
import org.ubdjvm.cow.testing.NbdServer;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;

/**
 * What a user sees when the server behind an NBD layer dies, hangs or fails: every request completes with one
 * {@link ImageException} naming the export and the reason, in bounded time; nothing hangs.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NbdFailureTest {
    private static final int SIZE = 4 << 20;
    private static final int READS = 64;
    private static final FormatTable TABLE = FormatTable.standard();

    @TempDir
    Path dir;
    private Path base;
    private IoEngine engine;

    @BeforeEach
    void makeBase() throws IOException {
        base = dir.resolve("base.raw");
        Files.write(base, new byte[SIZE]);
        engine = new SyncEngine();
    }

    @AfterEach
    void closeEngine() {
        engine.close();
    }

    /** The server is killed with reads in flight through a COW: each fails naming the export; later ones at once. */
    @Test
    void killedServerFailsEveryRequestOnce() throws Exception {
        try (NbdServer server = NbdServer.qemuNbd(base, true, "base")) {
            Path cow = cowOver(server);
            try (BlockImage image = TABLE.open(OpenSpec.of(cow, engine))) {
                BlockIo.read(image, 0, ByteBuffer.allocate(4096)); // connected and working
                server.signal("STOP"); // hold the replies, so the reads are surely in flight
                List<CompletableFuture<IOException>> reads = readsInFlight(image);
                server.kill();
                for (CompletableFuture<IOException> r : reads) {
                    IOException e = r.get(10, TimeUnit.SECONDS);
                    assertInstanceOf(ImageException.class, e, "a read after the server died");
                    assertLostNaming(server, e, "connection to the server lost");
                }
                IOException later = assertThrows(IOException.class,
                        () -> BlockIo.read(image, 8192, ByteBuffer.allocate(4096)));
                assertLostNaming(server, later, "connection to the server lost");
            } // close does not hang either
        }
    }

    /** A stopped server: the request timeout's cancel drops the connection, as the kernel's nbd timeout does. */
    @Test
    void hungServerIsDroppedByCancel() throws Exception {
        try (NbdServer server = NbdServer.qemuNbd(base, true, "base")) {
            try (BlockImage image = TABLE.open(OpenSpec.of(Path.of(server.uri()), engine).withReadOnly(true))) {
                server.signal("STOP");
                List<CompletableFuture<IOException>> reads = readsInFlight(image);
                Thread.sleep(200);
                assertEquals(READS, image.cancelOlderThan(Duration.ofMillis(100)));
                for (CompletableFuture<IOException> r : reads) {
                    assertLostNaming(server, r.get(5, TimeUnit.SECONDS), "no reply from the server in 0.1 s");
                }
            }
        }
    }

    /** A server whose kernel accepts the connection but which never answers: the handshake gives up in time. */
    @Test
    void silentServerFailsTheHandshakeInTime() throws Exception {
        try (NbdServer server = NbdServer.qemuNbd(base, true, "base")) {
            server.signal("STOP");
            long start = System.nanoTime();
            ImageException e = assertThrows(ImageException.class, () -> NbdConnection.open(
                    NbdUri.parse(server.uri()), Path.of(server.uri()), Duration.ofMillis(500)));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "gave up late");
            assertTrue(e.getMessage().contains("NBD handshake with " + NbdUri.parse(server.uri()) + ": no answer in 0.5 s"),
                    e.getMessage());
        }
    }

    /** nbdkit's error filter fails every read with EIO: the error says so, with the request. */
    @Test
    void serverErrorNamesTheRequestAndTheErrno() throws Exception {
        try (NbdServer server = NbdServer.nbdkit(base, true, "--filter=error", "error-pread=EIO",
                "error-pread-rate=1")) {
            try (BlockImage image = TABLE.open(OpenSpec.of(Path.of(server.uri()), engine).withReadOnly(true))) {
                IOException e = assertThrows(IOException.class,
                        () -> BlockIo.read(image, 4096, ByteBuffer.allocate(8192)));
                assertTrue(e.getMessage().startsWith(Path.of(server.uri()) + ": read of 8192 bytes at offset 4096:"
                        + " the NBD server answered EIO (Input/output error)"), e.getMessage());
            }
        }
    }

    /** An export the server does not have: NBD_OPT_GO's error, with the server's own words. */
    @Test
    void noSuchExportIsTheServersAnswer() throws Exception {
        try (NbdServer server = NbdServer.qemuNbd(base, true, "base")) {
            Path uri = Path.of(server.uri().replace("///base?", "///nope?"));
            ImageException e = assertThrows(ImageException.class,
                    () -> TABLE.open(OpenSpec.of(uri, engine).withReadOnly(true)).close());
            assertTrue(e.getMessage().startsWith(uri + ": NBD handshake with " + NbdUri.parse(uri.toString())
                    + ": NBD_OPT_GO failed: no such export: "), e.getMessage());
            assertTrue(e.getMessage().contains("nope"), e.getMessage());
        }
    }

    @Test
    void aReadOnlyExportIsNotOpenedForWriting() throws Exception {
        try (NbdServer server = NbdServer.qemuNbd(base, true, "base")) {
            ImageException e = assertThrows(ImageException.class,
                    () -> TABLE.open(OpenSpec.of(Path.of(server.uri()), engine)).close());
            assertEquals(Path.of(server.uri()) + ": the NBD export is read-only (NBD_FLAG_READ_ONLY); open it read-only",
                    e.getMessage());
        }
    }

    private Path cowOver(NbdServer server) throws IOException {
        Path cow = dir.resolve("top.cow");
        TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(Path.of(server.uri())));
        return cow;
    }

    /** 64 KiB reads all over the disk, each completing its future with its error (null on success). */
    private static List<CompletableFuture<IOException>> readsInFlight(BlockImage image) {
        List<CompletableFuture<IOException>> reads = new ArrayList<>();
        for (int i = 0; i < READS; i++) {
            CompletableFuture<IOException> f = new CompletableFuture<>();
            image.read((long) i * (SIZE / READS), ByteBuffer.allocate(64 << 10), (n, e) -> f.complete(e));
            reads.add(f);
        }
        return reads;
    }

    private static void assertLostNaming(NbdServer server, IOException e, String reason) {
        assertTrue(e != null && e.getMessage().startsWith(Path.of(server.uri()) + ": read of "),
                "names the export and the request: " + e);
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
