package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.hostio.testing.CiRule;
import org.ubdjvm.hostio.testing.Fifos;

/**
 * Only files that can hold a disk are opened: a FIFO would block {@code open(2)} until a writer came (and ubd with
 * it), so it, a socket and character devices other than /dev/zero and /dev/null are refused at once, in one line.
 */
class HostFileKindTest {
    /** Far below the forever a blocked open takes, far above a stat on a loaded machine. */
    private static final Duration AT_ONCE = Duration.ofSeconds(5);
    private static final List<OpenMode> MODES = List.of(OpenMode.READ_ONLY, OpenMode.READ_WRITE,
            OpenMode.CREATE_OR_OPEN, OpenMode.READ_ONLY.withLock(true));

    @TempDir
    Path dir;

    @Test
    void aFifoIsRefusedAtOnceInEveryModeAndThroughASymlink() throws Exception {
        Path fifo = Fifos.mkfifo(dir.resolve("pipe"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), fifo);
        for (Path p : List.of(fifo, link)) {
            for (OpenMode mode : MODES) {
                assertRefused(p, mode, "is a FIFO (named pipe), not a disk: opening it would wait for a writer");
            }
        }
    }

    @Test
    void aSocketIsRefused() throws Exception {
        Path sock = dir.resolve("sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            for (OpenMode mode : MODES) {
                assertRefused(sock, mode, "is a socket, not a disk");
            }
        }
    }

    @Test
    void characterDevicesOtherThanZeroAndNullAreRefused() throws Exception {
        Path urandom = Path.of("/dev/urandom");
        if (!Files.isReadable(urandom)) {
            CiRule.skipOrFail("/dev/urandom is not available here");
        }
        assertRefused(urandom, OpenMode.READ_ONLY,
                "is a character device, not a disk (of those only /dev/zero and /dev/null are accepted)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/dev/zero", "/dev/null"})
    void zeroAndNullOpenAsUmlMkcowAcceptsThem(String device) throws Exception {
        Path p = Path.of(device);
        if (!Files.isReadable(p)) {
            CiRule.skipOrFail(device + " is not available here");
        }
        try (HostFile f = HostFile.open(p, OpenMode.READ_ONLY)) {
            f.read(ByteBuffer.allocate(512), 0);
        }
    }

    @Test
    void aDirectoryIsRefusedEvenToTheEngineTestsOpen() {
        HostIoException e = assertThrows(HostIoException.class, () -> HostFile.openAnyKind(dir, OpenMode.READ_ONLY));
        assertEquals(dir + ": cannot open: is a directory", e.getMessage());
    }

    private static void assertRefused(Path p, OpenMode mode, String reason) {
        HostIoException e = assertTimeoutPreemptively(AT_ONCE,
                () -> assertThrows(HostIoException.class, () -> HostFile.open(p, mode)), () -> p + " " + mode);
        assertEquals(p + ": cannot open: " + reason, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
