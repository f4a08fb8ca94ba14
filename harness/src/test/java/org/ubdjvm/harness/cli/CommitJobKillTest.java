package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.CommitJournal;

/**
 * {@code kill -9} of a {@code ubd run} in the middle of a throttled background commit: the chain opens to the same
 * disk as after the merge is finished, the merged layer still reads what it read, and {@code ubd commit -b BASE TOP}
 * finishes the merge from the journal the job left. (One kill; the property tests kill many times.)
 */
class CommitJobKillTest {
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void killedMidCopyTheChainOpensToTheSameDiskAndUbdCommitFinishesTheMerge() throws Exception {
        Path back = Ubd.patterned(dir.resolve("back.img"), 8 << 20);
        Path top0 = dir.resolve("top0.cow");
        Path top1 = dir.resolve("top1.cow");
        Path socket = dir.resolve("ctl.sock");
        Process run = UbdProcess.start("run", "ubd0=" + top0 + "," + back, "--rw=randrw", "--iodepth=8",
                "--verify", "--runtime=60s", "--control=" + socket);
        try {
            for (int i = 0; i < 400 && !Files.exists(socket); i++) {
                Thread.sleep(25);
            }
            assertTrue(Files.exists(socket), "no control socket");
            Thread.sleep(1000); // the guest fills top0
            Ubd.run("ctl", s(socket), "snapshot", "ubd0", s(top1)).ok();
            String id = json.readTree(Ubd.run("ctl", s(socket), "commit", "ubd0", "--speed=64k").ok().out())
                    .get("id").asText();
            long done = 0;
            for (int i = 0; i < 400 && done == 0; i++) {
                Thread.sleep(25);
                for (JsonNode job : json.readTree(Ubd.run("ctl", s(socket), "jobs").ok().out())) {
                    if (job.get("id").asText().equals(id)) {
                        assertEquals("running", job.get("state").asText(), job::toString);
                        done = job.get("done").asLong();
                    }
                }
            }
            assertTrue(done > 0, "the copy began");
        } finally {
            run.destroyForcibly(); // SIGKILL
            run.waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(Files.exists(CommitJournal.beside(top0)), "killed mid-copy: the journal is there");
        Path before = dir.resolve("before.img");
        Path mergedBefore = dir.resolve("merged-before.img");
        // opens, with the warning that names the interrupted commit (the kernel itself would refuse it until then)
        Ubd.Result opened = Ubd.run("convert", "-O", "raw", s(top1), s(before));
        assertEquals(0, opened.exit(), opened::toString);
        assertTrue(opened.err().contains("was interrupted"), opened::toString);
        assertEquals(0, Ubd.run("convert", "-O", "raw", s(top0), s(mergedBefore)).exit());

        Ubd.Result finish = Ubd.run("commit", "-b", s(back), s(top0));
        assertEquals(0, finish.exit(), finish::toString);
        assertFalse(Files.exists(CommitJournal.beside(top0)), "the journal is gone");
        Path after = dir.resolve("after.img");
        Path mergedAfter = dir.resolve("merged-after.img");
        Ubd.run("convert", "-O", "raw", s(top1), s(after)).ok();
        Ubd.run("convert", "-O", "raw", s(top0), s(mergedAfter)).ok();
        assertEquals(-1, Files.mismatch(before, after), "the top reads the same disk before and after finishing");
        assertEquals(-1, Files.mismatch(mergedBefore, mergedAfter), "the merged layer reads the same");
        assertEquals(-1, Files.mismatch(mergedBefore, back), "the base holds what the merged layer read");
    }
}
