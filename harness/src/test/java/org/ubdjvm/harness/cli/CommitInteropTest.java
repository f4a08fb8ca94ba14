package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.cow.testing.RealTools;
import org.ubdjvm.cow.testing.UmlKernel;

/**
 * {@code ubd commit} against the real tools: the base it leaves is the one {@code uml_moo -d} leaves, and the real
 * kernel mounts it. Random writes; rerun one with {@code -Dubd.test.seed=N}.
 */
class CommitInteropTest {
    private static final int SIZE = 1 << 20;
    private static final long OLD_MTIME = 1_700_000_000L;

    @TempDir
    Path dir;

    /** The same stack twice, in two folders (the header names its backing's absolute path). */
    private Path stack(String folder, int version, long seed) throws IOException {
        Path d = Files.createDirectories(dir.resolve(folder));
        Path back = Ubd.patterned(d.resolve("back.img"), SIZE);
        Files.setLastModifiedTime(back, FileTime.from(OLD_MTIME, TimeUnit.SECONDS));
        Path cow = d.resolve("top.cow");
        Ubd.Result create = Ubd.run("create", "-f", "cow", "-o", "version=" + version, "-b", s(back), s(cow));
        assertEquals(0, create.exit(), create::toString); // V1 and V2 are warned obsolete
        Random random = new Random(seed);
        for (int i = 0; i < 30; i++) {
            int count = 1 + random.nextInt(64);
            int first = random.nextInt(SIZE / 512 - count + 1);
            // pattern 0 included: uml_moo -d writes a zero sector only where the backing's is not zero already
            Ubd.run("io", "-c", "write -P " + random.nextInt(256) + " " + first * 512 + " " + count * 512, s(cow)).ok();
        }
        return cow;
    }

    /** (Broken on purpose once, by copying every piece one sector short: the bases differed.) */
    @ParameterizedTest(name = "V{0}")
    @ValueSource(ints = {1, 2, 3})
    void theBaseIsTheOneUmlMooDashDLeaves(int version) throws Exception {
        RealTools.require("uml_moo", "uml-utilities");
        long seed = Long.getLong("ubd.test.seed", System.nanoTime());
        Path moo = stack("moo", version, seed);
        Path ours = stack("ubd", version, seed);
        RealTools.run(moo.getParent(), 60, "uml_moo", "-d", s(moo)).assertOk("uml_moo -d");
        Ubd.Result commit = Ubd.run("commit", s(ours));
        assertEquals(0, commit.exit(), commit::toString);
        assertEquals(-1, Files.mismatch(moo.resolveSibling("back.img"), ours.resolveSibling("back.img")),
                "uml_moo -d vs ubd commit, seed " + seed);
    }

    /**
     * The kernel writes into a COW over an ext2 image (mounting rw writes its superblock); {@code ubd commit} folds
     * that into the image; a new COW over the result boots (kernel-only: it mounts the root and stops at "No working
     * init found") and e2fsck finds it clean.
     */
    @Test
    void theRealKernelMountsWhatCommitLeft() throws Exception {
        RealTools.require("linux.uml", "user-mode-linux");
        RealTools.require("mkfs.ext2", "e2fsprogs");
        Path back = dir.resolve("ext2.img");
        Files.write(back, new byte[8 << 20]);
        RealTools.run(dir, 60, "mkfs.ext2", "-q", "-F", s(back)).assertOk("mkfs.ext2");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(dir.resolve("first.cow"))).ok();
        String first = UmlKernel.boot(dir, "first.cow,ext2.img", true);
        assertTrue(first.contains("No working init found"), first);
        byte[] before = Files.readAllBytes(back);
        Ubd.Result commit = Ubd.run("commit", s(dir.resolve("first.cow")));
        assertEquals(0, commit.exit(), commit::toString);
        assertTrue(!java.util.Arrays.equals(before, Files.readAllBytes(back)), "the kernel's writes reached the image");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(dir.resolve("second.cow"))).ok();
        String second = UmlKernel.boot(dir, "second.cow,ext2.img", true);
        assertTrue(second.contains("VFS: Mounted root (ext2 filesystem)") && second.contains("No working init found"),
                second);
        RealTools.run(dir, 60, "e2fsck", "-fn", s(back)).assertOk("e2fsck -fn of the committed base");
    }
}
