package org.ubdjvm.harness.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.ubdjvm.harness.AccessPattern;
import org.junit.jupiter.api.Test;

/** The peers ubd bench measures against: found on PATH, and what they print is read right. */
class PeersTest {
    /** --direct: qemu-img bench bypasses its page cache too (-t none), with native AIO where ubd uses aio. */
    @Test
    void qemuImgRunsWithoutItsCacheWhenUbdRunsDirect() {
        BenchSpec spec = new BenchSpec(BenchTarget.stack, AccessPattern.randwrite, 4096, 8, 1 << 20,
                java.time.Duration.ofSeconds(1), java.time.Duration.ZERO, java.nio.file.Path.of("data.img"));
        java.util.List<String> direct = QemuImgPeer.benchArguments(spec, 10, "aio", true, java.nio.file.Path.of("o"));
        assertEquals("none", direct.get(direct.indexOf("-t") + 1), direct::toString);
        assertEquals("native", direct.get(direct.indexOf("-i") + 1), direct::toString);
        java.util.List<String> cached = QemuImgPeer.benchArguments(spec, 10, "aio", false, java.nio.file.Path.of("o"));
        assertEquals("writeback", cached.get(cached.indexOf("-t") + 1), cached::toString);
    }

    @Test
    void aMissingPeerProgramSaysWhichPackageToInstall() {
        IOException e = assertThrows(IOException.class, () -> PeerProgram.find("no-such-fio-xyz", "fio"));
        assertEquals("no-such-fio-xyz not found (install Debian package fio)", e.getMessage());
    }

    @Test
    void peerOutputsAreParsed() throws Exception {
        BenchResult q = QemuImgPeer.parse("Sending 2000 write requests, 4096 bytes each, 32 in parallel\n"
                + "Run completed in 0.500 seconds.\n", 2000, 4096);
        assertEquals(4000, q.iops(), 1e-6);
        assertFalse(q.hasLatency());
        BenchResult f = FioPeer.parse("fio: note\n{\"jobs\":[{\"read\":{\"total_ios\":1000,\"io_bytes\":4096000,"
                + "\"runtime\":500,\"clat_ns\":{\"percentile\":{\"50.000000\":2000,\"99.000000\":9000,"
                + "\"99.900000\":20000}}}}]}", false);
        assertEquals(2000, f.iops(), 1e-6);
        assertEquals(9.0, f.p99Micros(), 1e-9);
        assertThrows(IOException.class, () -> FioPeer.parse("fio: engine not loadable\n", false));
    }
}
