package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.SharedVectors;

/**
 * Issue 12's reproduction: a guest writes a UML COW header naming a host file (here {@code secret}, standing in for
 * /etc/shadow) into sector 0 of its raw disk, and the next open that probes would have made the disk a COW over that
 * file, so {@code ubd convert} handed the file out. A probed raw image refuses that write; with {@code -f raw} it is
 * the guest's business, and the image stays raw wherever the format is named.
 */
class ProbedRawLeakTest {
    @TempDir
    Path dir;

    private Path secret;
    private Path evil;
    private Path guest;

    @BeforeEach
    void files() throws Exception {
        secret = Ubd.patterned(dir.resolve("secret"), 8 << 20);
        evil = dir.resolve("evil.cow");
        Ubd.run("create", "-f", "cow", "-b", s(secret), s(evil)).ok();
        guest = dir.resolve("guest.img");
        Ubd.run("create", "-f", "raw", s(guest), "8M").ok();
    }

    @Test
    void aHeaderWrittenIntoAProbedRawImageIsRefusedAndNothingLeaks() throws Exception {
        String before = SharedVectors.md5(guest);
        Ubd.Result r = Ubd.run("io", "-c", "write -s " + evil + " 0 12k", s(guest));

        assertEquals(2, r.exit(), r::toString);
        assertEquals(List.of("ubd: warning: " + guest + ": the format was probed as raw; probing a raw image is"
                        + " dangerous (a guest could make it look like another format), so writes that would do that"
                        + " to its first sectors are refused; name the format raw (-f raw, or the d flag of a device)"
                        + " to lift this",
                "ubd: " + guest + ": write of 12288 bytes at offset 0 refused: the image's format was probed as raw,"
                        + " and this would make it probe as cow (CVE-2008-2004); name the format raw to allow it"),
                r.errLines());
        assertEquals(before, SharedVectors.md5(guest), "the guest's disk is as it was");
        assertEquals("raw", format("info", "--output=json", s(guest)));

        Path leak = dir.resolve("leak.raw");
        Ubd.run("convert", "-O", "raw", s(guest), s(leak)).ok();
        assertArrayEquals(new byte[8 << 20], Files.readAllBytes(leak), "the converted disk is the guest's zeros");
    }

    @Test
    void namedRawTheWriteIsAllowedAndTheImageStaysRawWhereverTheFormatIsNamed() throws Exception {
        Ubd.run("io", "-f", "raw", "-c", "write -s " + evil + " 0 12k", s(guest)).ok();
        byte[] header = Arrays.copyOf(Files.readAllBytes(evil), 12 << 10);
        assertArrayEquals(header, Arrays.copyOf(Files.readAllBytes(guest), 12 << 10));

        assertEquals("raw", format("info", "-f", "raw", "--output=json", s(guest)));
        assertEquals(8 << 20, new ObjectMapper().readTree(Ubd.run("info", "-f", "raw", "--output=json", s(guest))
                .ok().out()).get("virtual-size").asLong());
        Path copy = dir.resolve("copy.raw");
        Ubd.run("convert", "-f", "raw", "-O", "raw", s(guest), s(copy)).ok();
        assertEquals(SharedVectors.md5(guest), SharedVectors.md5(copy), "converted as raw: the disk, not the secret");
        Ubd.run("io", "-f", "raw", "-c", "write -P 7 1M 4k", s(guest)).ok();
        Ubd.Result run = Ubd.run("run", "ubd0d=" + guest, "--rw=randwrite", "--ops=20", "--output=json");
        assertEquals(0, run.exit(), run::toString);
        assertEquals("", run.err(), "a device named raw is not warned about");
        assertTrue(Files.size(guest) == 8 << 20);
        assertEquals("cow", format("info", "--output=json", s(guest)), "probed, it is now what the guest wrote");
    }

    @Test
    void runOnAProbedRawDeviceWarnsOnce() throws Exception {
        Ubd.Result run = Ubd.run("run", "ubd0=" + guest, "--rw=randwrite", "--ops=20", "--output=json");
        assertEquals(0, run.exit(), run::toString);
        assertEquals(1, run.errLines().size(), run::toString);
        assertTrue(run.err().startsWith("ubd: warning: " + guest + ": the format was probed as raw"), run::toString);
    }

    private static String format(String... args) throws Exception {
        return new ObjectMapper().readTree(Ubd.run(args).ok().out()).get("format").asText();
    }
}
