package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.RealTools;
import org.ubdjvm.cow.testing.UmlKernel;

/**
 * The real kernel over what a live snapshot and a background commit leave: it writes into a COW over an ext2 image,
 * a running {@code ubd run} takes a snapshot over that COW and merges it into the image in the background, and the
 * kernel then boots (kernel-only: root mounted, "No working init found") on the new top, whose backing is now the
 * image; the disk it leaves is clean to e2fsck.
 */
class LiveCommitKernelTest {
    /** ext2 superblock at byte 1024; s_mnt_count (u16 LE) 52 bytes into it. */
    private static final int MNT_COUNT_OFFSET = 1024 + 52;

    @TempDir
    Path dir;

    /** The mount count, read with O_DIRECT by dd: what is on the disk, not in this host's page cache. */
    private int mountCount(Path raw) throws Exception {
        Path block = dir.resolve("block-" + System.nanoTime());
        RealTools.run(dir, 30, "dd", "if=" + raw, "of=" + block, "bs=4096", "count=1", "iflag=direct")
                .assertOk("dd iflag=direct");
        return ByteBuffer.wrap(Files.readAllBytes(block), MNT_COUNT_OFFSET, 2).order(ByteOrder.LITTLE_ENDIAN)
                .getShort() & 0xFFFF;
    }

    @Test
    void theKernelBootsOnTheTopAfterASnapshotAndABackgroundCommitAndE2fsckFindsItClean() throws Exception {
        RealTools.require("linux.uml", "user-mode-linux");
        RealTools.require("mkfs.ext2", "e2fsprogs");
        RealTools.require("e2fsck", "e2fsprogs");
        Path back = dir.resolve("ext2.img");
        Files.write(back, new byte[8 << 20]);
        RealTools.run(dir, 60, "mkfs.ext2", "-q", "-F", s(back)).assertOk("mkfs.ext2");
        int fresh = mountCount(back);
        Path first = dir.resolve("first.cow");
        Path second = dir.resolve("second.cow");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(first)).ok();
        String boot1 = UmlKernel.boot(dir, "first.cow,ext2.img", true);
        assertTrue(boot1.contains("No working init found"), boot1);

        Path socket = dir.resolve("ctl.sock");
        CompletableFuture<Ubd.Result> run = CompletableFuture.supplyAsync(() -> Ubd.run("run", "ubd0=" + first,
                "--rw=randread", "--iodepth=4", "--runtime=4s", "--control=" + socket));
        for (int i = 0; i < 200 && !Files.exists(socket); i++) {
            Thread.sleep(25);
        }
        Ubd.run("ctl", s(socket), "snapshot", "ubd0", s(second)).ok();
        Ubd.Result commit = Ubd.run("ctl", s(socket), "commit", "ubd0", "--wait");
        assertEquals(0, commit.exit(), commit::toString);
        assertTrue(commit.out().contains("JOB_COMPLETED"), commit::toString);
        Ubd.Result ran = run.get(60, TimeUnit.SECONDS);
        assertEquals(0, ran.exit(), ran::toString);
        assertEquals(fresh + 1, mountCount(back), "the first boot's superblock write was merged into the image");
        String info = Ubd.run("info", s(second)).ok().out();
        assertTrue(info.contains("ext2.img") && !info.contains("first.cow"), "second.cow over the image:\n" + info);

        String boot2 = UmlKernel.boot(dir, "second.cow", true);
        assertTrue(boot2.contains("VFS: Mounted root (ext2 filesystem)") && boot2.contains("No working init found"),
                boot2);
        Path disk = dir.resolve("disk.img");
        Ubd.run("convert", "-O", "raw", s(second), s(disk)).ok();
        assertEquals(fresh + 2, mountCount(disk), "the second boot wrote into second.cow over the merged image");
        RealTools.run(dir, 60, "e2fsck", "-fn", s(disk)).assertOk("e2fsck -fn of the top's disk");
    }
}
