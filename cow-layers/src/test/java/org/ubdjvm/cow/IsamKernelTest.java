package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.RealTools;
import org.ubdjvm.cow.testing.SharedVectors;
import org.ubdjvm.cow.testing.UmlKernel;
import org.ubdjvm.hostio.SyncEngine;

/**
 * The real kernel and uml_moo ignore {@code cow_format}, so an ISAM file poisons the V3 fields they do read: they
 * refuse it with their own words, never read its index as a bitmap, and never write to it.
 */
class IsamKernelTest {
    @TempDir
    Path dir;

    @Test
    void theKernelRefusesAnIsamFileAndLeavesItAlone() throws Exception {
        SharedVectors.copyTo(dir, "back-ext2-512k.img");
        Path back = dir.resolve("back-ext2-512k.img");
        Path isam = dir.resolve("ours.isam");
        FormatTable.standard().create(CreateSpec.of(isam, IsamFormat.NAME).withBacking(back));
        try (BlockImage image = FormatTable.standard().open(OpenSpec.of(isam, new SyncEngine()))) {
            BlockIo.write(image, 4096, ByteBuffer.wrap(new byte[4096]));
        }
        String md5 = SharedVectors.md5(isam);
        String alone = UmlKernel.boot(dir, isam.getFileName().toString(), true);
        assertTrue(alone.contains("Couldn't stat \"" + IsamHeader.V3_POISON_NAME + "\" : err = 20"), alone);
        assertTrue(alone.contains("Failed to initialize ubd device 1 :Couldn't determine size of device's file"), alone);
        String withBacking = UmlKernel.boot(dir, isam.getFileName() + "," + back.getFileName(), true);
        assertTrue(withBacking.contains("Size mismatch (18446744073709551615 vs 524288) of COW header vs backing file"),
                withBacking);
        assertTrue(withBacking.contains("Failed to get modification time of backing file \"" + IsamHeader.V3_POISON_NAME
                + "\", err = 20"), withBacking);
        assertTrue(withBacking.contains("Failed to open 'ours.isam', errno = 20"), withBacking);
        for (String log : new String[] {alone, withBacking}) {
            assertTrue(!log.contains("VFS: Mounted root"), "the kernel mounted an ISAM file:\n" + log);
        }
        assertEquals(md5, SharedVectors.md5(isam), "the kernel changed the ISAM file");
        Path moo = RealTools.require("uml_moo", "uml-utilities");
        RealTools.Run merge = RealTools.run(dir, 30, moo.toString(), isam.toString(), dir.resolve("m1.img").toString());
        assertEquals(1, merge.exitCode(), merge.toString());
        assertTrue(merge.stderr().contains("Stating backing file: Not a directory"), merge.toString());
        RealTools.Run mergeB = RealTools.run(dir, 30, moo.toString(), "-b", back.toString(), isam.toString(),
                dir.resolve("m2.img").toString());
        assertEquals(1, mergeB.exitCode(), mergeB.toString());
        assertTrue(mergeB.stderr().contains("Size mismatch (-1 vs 524288) of COW header vs backing file"), mergeB.toString());
        assertEquals(md5, SharedVectors.md5(isam), "uml_moo changed the ISAM file");
    }
}
