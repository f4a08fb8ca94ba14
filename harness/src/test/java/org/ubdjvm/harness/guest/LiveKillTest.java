package org.ubdjvm.harness.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.CommitJournal;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceTable;
import org.ubdjvm.harness.cli.UbdMain;
import org.ubdjvm.harness.cli.UbdProcess;
import org.ubdjvm.harness.control.ControlClient;
import org.ubdjvm.hostio.SyncEngine;

/**
 * {@code kill -9} a {@code ubd run --control=S --journal=J} (verifying random writes, a flush every 8) at random
 * moments of a live snapshot asked for over its control socket: after each kill everything the journal says was
 * flushed reads back from the chain, which opens from its newest top (the snapshot's file when it exists, else the
 * one before) and lists exactly the layers the snapshots made. Each round is a fresh JVM on a fresh chain that first
 * takes 0-2 snapshots that complete, then is killed during the next. Kills: {@code -Dubd.snapshot.kills} (30);
 * seed: {@code -Dubd.test.seed}.
 */
class LiveKillTest {
    @TempDir
    Path dir;

    @Test
    void everythingFlushedReadsBackAfterAKillDuringASnapshotAndTheChainOpens() throws Exception {
        int kills = Integer.getInteger("ubd.snapshot.kills", 30);
        long seed = Long.getLong("ubd.test.seed", System.nanoTime());
        System.out.println("LiveKillTest: seed " + seed + " (-Dubd.test.seed=" + seed + " repeats it)");
        Random random = new Random(seed);
        Path back = dir.resolve("zeros.img");
        Files.write(back, new byte[1 << 20]); // unwritten blocks read zeros: "generation 0", never corrupt
        long snapshotMicros = 20_000; // how long the last completed snapshot took: kills land within 1.5 times that
        int inside = 0;
        int made = 0;
        Round next = new Round(dir.resolve("round0"), back, 0).launch();
        try {
            for (int k = 0; k < kills; k++) {
                Round round = next;
                try (ControlClient client = round.awaitReady()) {
                    int before = random.nextInt(3);
                    for (int i = 0; i < before; i++) {
                        long t0 = System.nanoTime();
                        JsonNode r = client.execute("snapshot", round.snapshotArgs());
                        assertTrue(r.has("return"), () -> round + ": " + r);
                        round.made();
                        snapshotMicros = (System.nanoTime() - t0) / 1000;
                    }
                    CompletableFuture<JsonNode> last = CompletableFuture.supplyAsync(() -> {
                        try {
                            return client.execute("snapshot", round.snapshotArgs());
                        } catch (IOException killed) {
                            return null;
                        }
                    });
                    long delay = (long) (random.nextDouble() * snapshotMicros * 1.5);
                    TimeUnit.MICROSECONDS.sleep(delay);
                    boolean answered = last.isDone() && last.getNow(null) != null;
                    round.kill();
                    // the next JVM starts while this round is checked: a JVM's start is most of a round's time
                    next = k + 1 < kills ? new Round(dir.resolve("round" + (k + 1)), back, k + 1).launch() : null;
                    inside += answered ? 0 : 1;
                    made += answered ? 1 : 0;
                    String where = round + " (seed " + seed + ", killed " + delay + " us into snapshot "
                            + round.snapshots + (answered ? ", after its reply" : ", before its reply") + ")";
                    round.assertChainHoldsWhatWasFlushed(answered, where);
                }
            }
        } finally {
            if (next != null) {
                next.process.destroyForcibly(); // a failed round leaves the next JVM started: not left running
            }
        }
        System.out.println("LiveKillTest: " + kills + " kills, " + inside + " before the snapshot's reply, " + made
                + " after it");
        assertTrue(inside >= kills / 3, inside + " of " + kills + " kills landed before the snapshot's reply");
    }

    /**
     * {@code kill -9} at random moments of a background commit (top0 into the round's own base, under top1, the
     * active top a snapshot made): the chain opens from top1 and holds everything journaled; then {@code ubd commit
     * -b BASE top0} finishes an interrupted merge offline, and the chain reads exactly the disk it read right after
     * the kill. Kills: {@code -Dubd.commit.live.kills} (30).
     */
    @Test
    void aKillDuringABackgroundCommitLeavesAChainThatOpensAndUbdCommitFinishesToTheSameDisk() throws Exception {
        int kills = Integer.getInteger("ubd.commit.live.kills", 30);
        long seed = Long.getLong("ubd.test.seed", System.nanoTime());
        System.out.println("LiveKillTest (commit): seed " + seed + " (-Dubd.test.seed=" + seed + " repeats it)");
        Random random = new Random(seed);
        long maxDelayMicros = 30_000;
        int inside = 0;
        Round next = new Round(dir.resolve("commit0"), null, 0).launch();
        try {
            for (int k = 0; k < kills; k++) {
                Round round = next;
                try (ControlClient client = round.awaitReady()) {
                    Thread.sleep(20 + random.nextInt(50)); // some of the guest's writes in top0 beyond the first flush
                    JsonNode snap = client.execute("snapshot", round.snapshotArgs());
                    assertTrue(snap.has("return"), () -> round + ": " + snap);
                    round.made();
                    JsonNode job = client.execute("commit", JsonNodeFactory.instance.objectNode().put("device", "ubd0"));
                    assertTrue(job.has("return"), () -> round + ": " + job);
                    long delay = (long) (random.nextDouble() * maxDelayMicros);
                    TimeUnit.MICROSECONDS.sleep(delay);
                    round.kill();
                    next = k + 1 < kills ? new Round(dir.resolve("commit" + (k + 1)), null, k + 1).launch() : null;
                    boolean interrupted = Files.exists(CommitJournal.beside(round.top(0)));
                    inside += interrupted ? 1 : 0;
                    String where = round + " (seed " + seed + ", killed " + delay + " us after the commit started, "
                            + (interrupted ? "its journal there" : "no journal") + ")";
                    byte[] disk = round.assertChainHoldsWhatWasFlushed(false, where);
                    // aim the kills at the job: shorter when it had finished, longer when it had not begun copying
                    boolean finished = round.depth == 2;
                    maxDelayMicros = interrupted ? maxDelayMicros : finished ? maxDelayMicros * 4 / 5
                            : maxDelayMicros * 5 / 4;
                    if (interrupted) {
                        StringWriter out = new StringWriter();
                        StringWriter err = new StringWriter();
                        int exit = UbdMain.run(new String[] {"commit", "-b", round.back.toString(),
                                round.top(0).toString()}, new PrintWriter(out), new PrintWriter(err));
                        assertEquals(0, exit, where + ": ubd commit: " + out + err);
                    }
                    assertArrayEquals(disk, round.readDisk(), where + ": the disk after finishing with ubd commit");
                }
            }
        } finally {
            if (next != null) {
                next.process.destroyForcibly();
            }
        }
        System.out.println("LiveKillTest (commit): " + kills + " kills, " + inside + " inside the job (its journal"
                + " there)");
        assertTrue(inside >= kills / 3, inside + " of " + kills + " kills landed inside the job");
    }

    /** One JVM's run: its chain (top0 made on open, then one file per snapshot), journal, socket and log. */
    private static final class Round {
        private final Path dir;
        private final Path back;
        private final int seed;
        private final Path socket;
        private final Path journal;
        private final Path log;
        /** Snapshots asked for so far, the completed ones and the one being killed. */
        int snapshots;
        /** Snapshots whose reply came. */
        private int completed;
        /** Layers of the chain found after the kill. */
        int depth;
        private Process process;

        /** With {@code back} null, a base of its own (1 MiB of zeros), for a commit to write into. */
        Round(Path dir, Path back, int seed) throws IOException {
            this.dir = Files.createDirectories(dir);
            this.back = back != null ? back : Files.write(dir.resolve("base.img"), new byte[1 << 20]);
            this.seed = seed;
            this.socket = dir.resolve("ctl.sock");
            this.journal = dir.resolve("journal");
            this.log = dir.resolve("log");
        }

        Path top(int n) {
            return dir.resolve("top" + n + ".cow");
        }

        /** Starts the guest. */
        Round launch() throws IOException {
            process = UbdProcess.builder(List.of(), List.of("-XX:TieredStopAtLevel=1"), "run",
                    "ubd0=" + top(0) + "," + back, "--rw=randwrite", "--bs=4k", "--iodepth=8", "--threads=2",
                    "--runtime=60s", "--flush-every=8", "--verify", "--journal=" + journal, "--control=" + socket,
                    "--seed=" + seed).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return this;
        }

        /** A client, once the guest's first flush is journaled (before that nothing is promised). */
        ControlClient awaitReady() throws Exception {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(Files.exists(journal) && Files.exists(socket)) && process.isAlive() && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertTrue(process.isAlive() && Files.exists(journal) && Files.exists(socket),
                    () -> this + ": no journal or socket while running:\n" + readLog());
            return ControlClient.connect(socket);
        }

        /** The next snapshot's arguments (counted as asked for). */
        ObjectNode snapshotArgs() {
            snapshots++;
            return JsonNodeFactory.instance.objectNode().put("device", "ubd0").put("file", top(snapshots).toString());
        }

        void made() {
            completed = snapshots;
        }

        void kill() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL: no shutdown hooks, no close, no final flush
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), this + ": not dead 10 s after SIGKILL");
        }

        /**
         * The newest top is the killed snapshot's file when it was made (always when its reply came), else the
         * last completed one's; it opens, lists every layer down to the base, and holds everything journaled.
         */
        byte[] assertChainHoldsWhatWasFlushed(boolean answered, String where) throws Exception {
            int newest = Files.exists(top(snapshots)) ? snapshots : completed;
            if (answered) {
                assertEquals(snapshots, newest, where + ": the snapshot replied but its file is not there");
            }
            DurableJournal.Record record = DurableJournal.read(journal);
            try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
                try {
                    table.add("ubd0r=" + top(newest));
                } catch (IOException e) {
                    throw new AssertionError(where + ": the chain does not open: " + e.getMessage(), e);
                }
                ImageInfo stack = table.all().get(0).stack();
                depth = stack.depth();
                assertEquals(chain(newest, stack), stack.files(), where + ": the chain from the newest top");
                List<String> problems = JournalCheck.check(record, table.all());
                assertEquals(List.of(), problems.subList(0, Math.min(5, problems.size())), where);
                return read(table.all().get(0));
            }
        }

        /**
         * The files from top {@code newest} down: every layer made, then the base; after a completed commit (the
         * stack then names the base right below the newest top) top0 and the layers a commit merged are gone.
         */
        private List<Path> chain(int newest, ImageInfo stack) {
            List<Path> chain = new ArrayList<>();
            for (int n = newest; n >= 0; n--) {
                chain.add(top(n));
            }
            chain.add(back);
            boolean committed = stack.files().size() == 2 && newest > 0;
            return committed ? List.of(top(newest), back) : chain;
        }

        /** The whole disk, from the chain's newest top opened cold. */
        byte[] readDisk() throws Exception {
            try (DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(new SyncEngine())))) {
                table.add("ubd0r=" + top(completed));
                return read(table.all().get(0));
            }
        }

        private static byte[] read(org.ubdjvm.driver.UbdDevice device) throws Exception {
            java.nio.ByteBuffer all = java.nio.ByteBuffer.allocate((int) device.capacity());
            IOException e = Sync.call(device, org.ubdjvm.queue.RequestOp.READ, 0, all);
            if (e != null) {
                throw e;
            }
            return all.array();
        }

        private String readLog() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        @Override
        public String toString() {
            return dir.getFileName().toString();
        }
    }
}
