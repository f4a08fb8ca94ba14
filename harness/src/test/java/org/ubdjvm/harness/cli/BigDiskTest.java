package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A 2 TiB sparse disk under a COW of every version, each command in a JVM of its own with a 256 MiB heap
 * ({@code JAVA_TOOL_OPTIONS=-Xmx256m}): the bitmap (512 MiB for V3) is read in pages, never whole. V1 and V2 take
 * any size that is a multiple of 4096, so 2 TiB too.
 */
class BigDiskTest {
    private static final long SIZE = 2L << 40;
    private static final int BLOCK = 4096;

    @TempDir
    static Path dir;

    private static Path raw;

    @BeforeAll
    static void sparseRaw() throws Exception {
        raw = dir.resolve("big.raw");
        ubd(0, "create", "-f", "raw", raw.toString(), "2T");
    }

    @ParameterizedTest(name = "V{0}")
    @ValueSource(ints = {3, 1, 2})
    void aTwoTebibyteCowWorksInA256MebibyteHeap(int version) throws Exception {
        Path cow = dir.resolve("big.v" + version + ".cow");
        ubd(0, "create", "-f", "cow", "-o", "version=" + version, "-b", raw.toString(), cow.toString());

        TreeSet<Long> offsets = new TreeSet<>(List.of(0L, SIZE - BLOCK));
        Random random = new Random(version);
        while (offsets.size() < 1002) {
            offsets.add((long) (random.nextDouble() * (SIZE / BLOCK)) * BLOCK);
        }
        List<String> io = new ArrayList<>(List.of("io"));
        for (String op : List.of("write", "read")) {
            for (long at : offsets) {
                io.addAll(List.of("-c", op + " -P " + pattern(at) + " " + at + " 4k"));
            }
        }
        io.add(cow.toString());
        ubd(0, io.toArray(String[]::new));

        String run = ubd(0, "run", "ubd0=" + cow, "--workload=randrw,verify,runtime=" + (version == 3 ? "2s" : "1s"));
        assertTrue(run.contains("mismatches: 0") && run.contains("errors: 0"), run);

        Matcher allocated = Pattern.compile("allocated bytes: (\\d+)").matcher(ubd(0, "info", cow.toString()));
        assertTrue(allocated.find());
        assertTrue(Long.parseLong(allocated.group(1)) >= offsets.size() * (long) BLOCK, allocated.group());
    }

    /**
     * The heap filled on purpose: bitmap pages of 16 MiB (M4096), a cache of 1 GiB (K1048576), a 32 MiB heap. The
     * second page does not fit: one line naming the file and what to change, exit 2, no stack trace.
     */
    @org.junit.jupiter.api.Test
    void aMetadataCacheLargerThanTheHeapIsOneLineNamingTheFile() throws Exception {
        Path cow = dir.resolve("oom.cow");
        ubd(0, "create", "-f", "cow", "-b", raw.toString(), cow.toString());
        Process p = UbdProcess.builder(List.of(), List.of("-Xmx32m"), "run", "ubd0M4096K1048576=" + cow,
                "--workload=randread,runtime=10s").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("ubd: " + cow + ": out of memory for its metadata cache ("), err);
        assertTrue(err.contains("raise the heap (UBD_JAVA_OPTS='-Xmx4g') or lower the cache (--metadata-cache"), err);
    }

    private static int pattern(long offset) {
        return (int) (offset / BLOCK % 251) + 1;
    }

    /** Runs ubd with a 256 MiB heap; returns its output after checking its exit code. */
    private static String ubd(int exit, String... args) throws IOException, InterruptedException {
        ProcessBuilder b = UbdProcess.builder(List.of(), List.of(), args).redirectErrorStream(true);
        b.environment().put("JAVA_TOOL_OPTIONS", "-Xmx256m");
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(exit, p.exitValue(), () -> String.join(" ", args).substring(0, 200) + "\n" + out);
        return out;
    }
}
