package org.ubdjvm.cow.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.UmlCowFormat;
import org.ubdjvm.cow.testing.CowOverExport;
import org.ubdjvm.cow.testing.NbdServer;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;

/**
 * A UML COW whose backing is an NBD export of a raw file, served by the real qemu-nbd and nbdkit: it reads what the
 * same COW over the raw file itself reads, its writes land in the COW alone, and the header keeps the URI.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NbdBackingTest {
    /** Not a multiple of 4 KiB, so the last page is partial; a whole number of sectors, as exports are. */
    private static final int SIZE = 1024 * 1024 + 3 * 512;
    /** A hole in the base file, which the servers report through base:allocation. */
    private static final int ZEROS_FROM = 64 * 1024;
    private static final int ZEROS_TO = 192 * 1024;
    private static final FormatTable TABLE = FormatTable.standard();

    @TempDir
    Path dir;
    private Path base;
    private byte[] baseBytes;
    private IoEngine engine;

    @BeforeEach
    void makeBase() throws IOException {
        baseBytes = new byte[SIZE];
        new Random(42).nextBytes(baseBytes);
        Arrays.fill(baseBytes, ZEROS_FROM, ZEROS_TO, (byte) 0);
        base = dir.resolve("base.raw");
        try (FileChannel f = FileChannel.open(base, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.wrap(baseBytes, 0, ZEROS_FROM), 0); // the zeros between stay a hole in the file
            f.write(ByteBuffer.wrap(baseBytes, ZEROS_TO, SIZE - ZEROS_TO), ZEROS_TO);
        }
        engine = new SyncEngine();
    }

    @AfterEach
    void closeEngine() {
        engine.close();
    }

    @Test
    void cowOverQemuNbdReadsAsOverTheRawFile() throws Exception {
        try (NbdServer server = NbdServer.qemuNbd(base, true, "")) {
            sameAsOverTheFile(server.uri());
        }
    }

    @Test
    void cowOverQemuNbdOnTcpReadsAsOverTheRawFile() throws Exception {
        try (NbdServer server = NbdServer.qemuNbdTcp(base, true, "disk")) {
            sameAsOverTheFile(server.uri());
        }
    }

    @Test
    void cowOverNbdkitReadsAsOverTheRawFile() throws Exception {
        try (NbdServer server = NbdServer.nbdkit(base, true)) {
            sameAsOverTheFile(server.uri());
        }
    }

    /**
     * Older servers: plain newstyle (no fixed newstyle, so NBD_OPT_EXPORT_NAME and the 124 zero bytes), and fixed
     * newstyle without structured replies (simple replies carry the reads; no block status, so all is data).
     */
    @Test
    void olderServersServeTheSame() throws Exception {
        for (String[] server : new String[][] {{"--mask-handshake=0", "NBD_OPT_EXPORT_NAME"}, {"--no-sr", "NBD_OPT_GO"}}) {
            Path sub = Files.createDirectories(dir.resolve(server[0].substring(2)));
            Path copy = Files.copy(base, sub.resolve("base.raw"));
            try (NbdServer nbdkit = NbdServer.nbdkit(copy, true, server[0]);
                 BlockImage image = TABLE.open(OpenSpec.of(Path.of(nbdkit.uri()), engine).withReadOnly(true))) {
                Map<String, Object> agreed = image.info().formatSpecific();
                assertEquals(server[1], agreed.get("negotiated-with"), server[0]);
                assertEquals(false, agreed.get("structured-replies"), server[0]);
                assertEquals(List.of(new Allocation(0, SIZE, 0)), image.allocationMap(0, SIZE), "no block status");
                assertEquals(0, CowOverExport.assertReadsAsOverTheFile(sub, copy, nbdkit.uri(), engine), server[0]);
            }
        }
    }

    /** The shared check, and the base file's hole must come through base:allocation. */
    private void sameAsOverTheFile(String uri) throws IOException {
        assertTrue(CowOverExport.assertReadsAsOverTheFile(dir, base, uri, engine) > 0,
                "the base file's hole was not reported through base:allocation");
    }

    @Test
    void sizeIsCheckedAgainstTheExport() throws Exception {
        Path cow = dir.resolve("top.cow");
        Path socket = dir.resolve("s.sock");
        try (NbdServer server = NbdServer.qemuNbd(base, true, "disk", socket)) {
            TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(Path.of(server.uri())));
        }
        Path shorter = dir.resolve("shorter.raw");
        Files.write(shorter, new byte[SIZE - 512]);
        Files.move(shorter, base, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        byte[] header = Files.readAllBytes(cow);
        try (NbdServer server = NbdServer.qemuNbd(base, true, "disk", socket)) {
            ImageException e = assertThrows(ImageException.class,
                    () -> TABLE.open(OpenSpec.of(cow, engine)).close());
            assertTrue(e.getMessage().contains("Size mismatch (" + SIZE + " vs " + (SIZE - 512) + ")"), e.getMessage());
            assertTrue(e.getMessage().contains(server.socket().toString()), e.getMessage());
        }
        assertArrayEquals(header, Files.readAllBytes(cow), "a refused open writes nothing");
    }

    /**
     * The export moved (another socket): named on open, as {@code ubd0=top.cow,URI} does, it is used, and opened
     * read-write the header is switched to it with the kernel's warnings; the same URI in another spelling is not a
     * switch.
     */
    @Test
    void aBackingUriGivenOnOpenIsSwitchedTo() throws Exception {
        Path cow = dir.resolve("top.cow");
        try (NbdServer first = NbdServer.qemuNbd(base, true, "", dir.resolve("first.sock"))) {
            TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(Path.of(first.uri())));
        }
        try (NbdServer moved = NbdServer.qemuNbd(base, true, "", dir.resolve("moved.sock"))) {
            List<String> warnings = new ArrayList<>();
            Path given = Path.of(moved.uri());
            try (BlockImage image = TABLE.open(OpenSpec.of(cow, engine).withBacking(given).withWarnings(warnings::add))) {
                assertEquals(NbdUri.parse(moved.uri()).toString(), image.info().backingFilename());
            }
            assertEquals(2, warnings.size(), warnings.toString());
            assertTrue(warnings.get(1).startsWith("Switching backing file to '" + NbdUri.parse(moved.uri())), warnings.get(1));
            warnings.clear();
            Path respelled = Path.of(moved.uri().replace("nbd+unix:///", "NBD+UNIX:/"));
            TABLE.open(OpenSpec.of(cow, engine).withBacking(respelled).withWarnings(warnings::add)).close();
            assertEquals(List.of(), warnings, "the same export, spelled otherwise");
        }
    }

    @Test
    void noServerIsOneLineNamingTheUri() throws IOException {
        Path socket = dir.resolve("nobody.sock");
        Path cow = dir.resolve("top.cow");
        String uri = "nbd+unix:///?socket=" + socket;
        ImageException e = assertThrows(ImageException.class,
                () -> TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(Path.of(uri))));
        assertTrue(e.getMessage().startsWith(Path.of(uri) + ": cannot connect to the NBD server at socket " + socket),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertFalse(Files.exists(cow), "nothing is made when the backing cannot be reached");
    }

    @Test
    void badUrisAreOneLineNamingThem() {
        for (String[] bad : new String[][] {
                {"nbd+unix:///?sockt=/x", "bad NBD URI: unknown parameter 'sockt' (known: socket)"},
                {"nbd+unix:///disk", "bad NBD URI: no socket=PATH"},
                {"nbds://host/disk", "bad NBD URI: TLS (nbds) is not supported"},
                {"nbd://host/disk?socket=/x", "bad NBD URI: unknown parameter 'socket' (a TCP URI takes none)"},
                {"nbd://ho st/disk", "bad NBD URI: malformed URI"}}) {
            ImageException e = assertThrows(ImageException.class,
                    () -> TABLE.open(OpenSpec.of(Path.of(bad[0]), engine)).close(), bad[0]);
            assertTrue(e.getMessage().startsWith(Path.of(bad[0]) + ": " + bad[1]), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
