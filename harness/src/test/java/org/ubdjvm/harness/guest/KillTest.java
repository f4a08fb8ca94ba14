package org.ubdjvm.harness.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceTable;
import org.ubdjvm.harness.cli.UbdProcess;
import org.ubdjvm.hostio.SyncEngine;

/**
 * {@code kill -9} a JVM running {@code ubd run --verify} with sync-on-barrier at random moments; after each kill,
 * everything the guest saw flushed (its journal) must read back intact from the COW stack.
 */
class KillTest {
    private static final int KILLS = 20;

    @TempDir
    Path dir;

    @Test
    void everythingFlushedSurvivesKillMinusNine() throws Exception {
        Path back = dir.resolve("zeros.img");
        Files.write(back, new byte[1 << 20]); // unwritten blocks read zeros: "generation 0", never corrupt
        Random random = new Random(Long.getLong("ubd.test.seed", 9));
        for (int round = 0; round < KILLS; round++) {
            Path cow = dir.resolve("round" + round + ".cow");
            Path journal = dir.resolve("round" + round + ".journal");
            Path log = dir.resolve("round" + round + ".log");
            Process guest = UbdProcess.builder(List.of(), List.of(), "run", "ubd0=" + s(cow) + "," + s(back),
                    "--rw=randwrite", "--bs=4k", "--iodepth=8", "--threads=2", "--runtime=20s", "--flush-every=8",
                    "--verify", "--journal=" + s(journal), "--seed=" + round)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            // Kill at a random moment once the first flush is journaled: before it nothing was promised, and how
            // long a JVM takes to get there depends on the machine's load (a fixed delay missed it on a busy one).
            long startedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(journal) && guest.isAlive() && System.nanoTime() < startedBy) {
                Thread.sleep(5);
            }
            Thread.sleep(random.nextInt(500));
            assertTrue(guest.isAlive() && Files.exists(journal),
                    "the guest must have journaled a flush and still be running when killed:\n" + Files.readString(log));
            guest.destroyForcibly(); // SIGKILL: no shutdown hooks, no close, no final flush
            guest.waitFor(10, TimeUnit.SECONDS);
            DurableJournal.Record record = DurableJournal.read(journal);
            try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
                table.add("ubd0r=" + s(cow) + "," + s(back));
                List<String> problems = JournalCheck.check(record, table.all());
                assertEquals(new ArrayList<String>(), problems.subList(0, Math.min(5, problems.size())), "round " + round);
            }
        }
    }

    private static String s(Path p) {
        return p.toString();
    }
}
