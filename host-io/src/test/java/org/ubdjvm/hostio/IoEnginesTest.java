package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class IoEnginesTest {
    /** More entries than io_uring allows (32768) and more events than aio-max-nr: both kernels refuse it. */
    private static final int TOO_DEEP = 1 << 20;

    @Test
    void autoTakesIoUringWhereTheKernelOffersIt() throws IOException {
        Path disabled = Path.of("/proc/sys/kernel/io_uring_disabled");
        assumeTrue(!Files.exists(disabled) || Files.readString(disabled).trim().equals("0"), "io_uring disabled here");
        assumeTrue(System.getProperty("os.arch").equals("amd64"));
        EngineSelection s = IoEngines.select("auto");
        try (IoEngine engine = s.engine()) {
            assertEquals("io_uring", engine.name());
            assertFalse(s.fellBack(), s.fallbackReason());
        }
    }

    @Test
    void autoFallsBackToSyncAndSaysWhyInOneLine() throws IOException {
        EngineSelection s = IoEngines.select("auto", TOO_DEEP);
        try (IoEngine engine = s.engine()) {
            assertEquals("sync", engine.name());
            assertTrue(s.fellBack());
            assertTrue(s.fallbackReason().startsWith("io_uring_setup: EINVAL (Invalid argument); io_setup: E"),
                    s.fallbackReason());
            assertFalse(s.fallbackReason().contains("\n"));
        }
    }

    @Test
    void aForcedEngineThatCannotRunFailsWithTheReason() {
        EngineUnavailableException uring = assertThrows(EngineUnavailableException.class,
                () -> IoEngines.select("io_uring", TOO_DEEP));
        assertEquals("I/O engine io_uring is unavailable: io_uring_setup: EINVAL (Invalid argument)", uring.getMessage());
        assertEquals(EngineUnavailableException.Reason.FAILED, uring.reason());
        IOException aio = assertThrows(IOException.class, () -> IoEngines.select("aio", TOO_DEEP));
        assertTrue(aio.getMessage().startsWith("I/O engine aio is unavailable: io_setup: E"), aio.getMessage());
    }

    @Test
    void syncAndNoneTurnAsyncIoOffAndMmapIsItsOwnEngine() throws IOException {
        assertInstanceOf(SyncEngine.class, IoEngines.create("sync"));
        assertInstanceOf(SyncEngine.class, IoEngines.create("none"));
        assertInstanceOf(MmapEngine.class, IoEngines.create("mmap"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IoEngines.create("posix-aio"));
        assertEquals("unknown I/O engine 'posix-aio' (known: auto, io_uring, aio, mmap, sync, none)", e.getMessage());
    }

    /** Callers decide by the reason, never by the message: what a test may skip and what it must not. */
    @Test
    void theReasonAnEngineIsUnavailableIsTyped() {
        assertEquals(EngineUnavailableException.Reason.UNSUPPORTED, EngineUnavailableException.Reason.of(Errno.ENOSYS));
        assertEquals(EngineUnavailableException.Reason.FORBIDDEN, EngineUnavailableException.Reason.of(Errno.EPERM));
        assertEquals(EngineUnavailableException.Reason.EXHAUSTED, EngineUnavailableException.Reason.of(Errno.EAGAIN));
        assertEquals(EngineUnavailableException.Reason.FAILED, EngineUnavailableException.Reason.of(Errno.EINVAL));
        assertEquals("io_setup: EPERM (Operation not permitted)",
                EngineUnavailableException.setupFailed("io_setup", Errno.EPERM).getMessage());
    }
}
