package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.cow.testing.RealTools;
import org.ubdjvm.cow.testing.SharedVectors;

/**
 * What ubd writes into a COW file, the real uml_moo merges into the disk ubd reads: {@code uml_moo COW OUT} and
 * {@code ubd convert COW OUT} give the same bytes. Random writes; rerun one with {@code -Dubd.test.seed=N}.
 */
class MooInteropTest {
    private static final int SIZE = 1 << 20;
    private static final int SECTORS = SIZE / 512;
    private static final int WRITES = 30;

    @TempDir
    Path dir;

    private long seed;
    private Random random;

    @BeforeEach
    void seed() {
        seed = Long.getLong("ubd.test.seed", System.nanoTime());
        random = new Random(seed);
    }

    @ParameterizedTest(name = "V{0}")
    @ValueSource(ints = {1, 2, 3})
    void convertGivesWhatUmlMooGives(int version) throws Exception {
        RealTools.require("uml_moo", "uml-utilities");
        Path back = Ubd.patterned(dir.resolve("back.img"), SIZE);
        Path cow = create(version, back);
        writeRandomly(cow);

        RealTools.run(dir, 60, "uml_moo", s(cow), "moo.img").assertOk("uml_moo");
        assertSameDisk(dir.resolve("moo.img"), cow);
    }

    /**
     * uml_moo merges one COW file over a raw file, so a V1 -> V2 -> V3 stack is checked a layer at a time: each
     * merge result stands in for the layer below (given its mtime, as the header above expects) in the next merge.
     */
    @Test
    void stackOfAllVersionsMergesLayerByLayer() throws Exception {
        RealTools.require("uml_moo", "uml-utilities");
        Path below = Ubd.patterned(dir.resolve("back.img"), SIZE);
        Path[] layers = new Path[4];
        for (int v = 1; v <= 3; v++) {
            layers[v] = create(v, below);
            writeRandomly(layers[v]); // before the next layer records this file's mtime
            below = layers[v];
        }
        RealTools.run(dir, 60, "uml_moo", s(layers[1]), "merged-1.img").assertOk("uml_moo layer 1");
        assertSameDisk(dir.resolve("merged-1.img"), layers[1]);
        for (int v = 2; v <= 3; v++) {
            Path lower = dir.resolve("merged-" + (v - 1) + ".img");
            Files.setLastModifiedTime(lower, FileTime.from(storedMtime(layers[v]), TimeUnit.SECONDS));
            String merged = "merged-" + v + ".img";
            RealTools.run(dir, 60, "uml_moo", "-b", s(lower), s(layers[v]), merged).assertOk("uml_moo layer " + v);
            assertSameDisk(dir.resolve(merged), layers[v]);
        }
    }

    private Path create(int version, Path backing) {
        Path cow = dir.resolve("v" + version + ".cow");
        Ubd.Result r = Ubd.run("create", "-f", "cow", "-o", "version=" + version, "-b", s(backing), s(cow));
        assertEquals(0, r.exit(), r::toString);
        return cow;
    }

    /** Sector-aligned writes of 1..64 sectors with random pattern bytes (zero included: uml_moo skips zero sectors). */
    private void writeRandomly(Path cow) {
        for (int i = 0; i < WRITES; i++) {
            int count = 1 + random.nextInt(64);
            int first = random.nextInt(SECTORS - count + 1);
            String cmd = "write -P " + random.nextInt(256) + " " + first * 512 + " " + count * 512;
            Ubd.Result r = Ubd.run("io", "-c", cmd, s(cow));
            assertEquals(0, r.exit(), () -> "seed " + seed + ": " + r);
        }
    }

    private void assertSameDisk(Path mooOutput, Path cow) throws IOException {
        Path ours = dir.resolve(cow.getFileName() + ".converted");
        Ubd.run("convert", "-O", "raw", s(cow), s(ours)).ok();
        assertEquals(SharedVectors.md5(mooOutput), SharedVectors.md5(ours),
                "uml_moo vs ubd convert of " + cow.getFileName() + ", seed " + seed);
        Ubd.Result compare = Ubd.run("compare", s(cow), s(mooOutput));
        assertEquals("0 Images are identical.\n", compare.exit() + " " + compare.out(), compare::toString);
    }

    private static long storedMtime(Path cow) throws IOException {
        String json = Ubd.run("info", "--output=json", s(cow)).ok().out();
        return new ObjectMapper().readTree(json).at("/format-specific/mtime").asLong();
    }
}
