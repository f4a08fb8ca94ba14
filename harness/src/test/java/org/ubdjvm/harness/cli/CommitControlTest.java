package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.CommitJournal;

/**
 * {@code ubd ctl S commit}: a background merge of a running {@code ubd run}'s layers while its verifying guest writes,
 * waited for, cancelled, refused; the run still verifies every read and its chain opens afterwards.
 */
class CommitControlTest {
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    private JsonNode ctl(Path socket, String... args) throws Exception {
        String[] all = new String[args.length + 2];
        all[0] = "ctl";
        all[1] = s(socket);
        System.arraycopy(args, 0, all, 2, args.length);
        return json.readTree(Ubd.run(all).ok().out());
    }

    private static Ubd.Result ctlResult(Path socket, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "ctl";
        all[1] = s(socket);
        System.arraycopy(args, 0, all, 2, args.length);
        return Ubd.run(all);
    }

    private JsonNode stack(Path socket) throws Exception {
        return ctl(socket, "query-devices").get(0).get("stack");
    }

    @Test
    void commitWaitCancelAndRefusalsThroughUbdCtlWhileTheGuestVerifies() throws Exception {
        Path socket = dir.resolve("ctl.sock");
        CompletableFuture<Ubd.Result> run = ControlGuest.start(dir, socket, "8s");
        Thread.sleep(700); // the guest fills top0
        Path top0 = dir.resolve("top0.cow");
        Path top1 = dir.resolve("top1.cow");
        Path top2 = dir.resolve("top2.cow");
        ctl(socket, "snapshot", "ubd0", s(top1));
        Thread.sleep(300);

        // refused: the active layer, a device that is not there, a layer not in the stack, a bad speed
        Ubd.Result active = ctlResult(socket, "commit", "ubd0", "--top=" + top1);
        assertEquals(2, active.exit(), active::toString);
        assertTrue(active.err().contains("committing the active layer is not supported"), active::toString);
        Ubd.Result missing = ctlResult(socket, "commit", "ubd9");
        assertTrue(missing.exit() == 2 && missing.err().contains("DeviceNotFound"), missing::toString);
        Ubd.Result stranger = ctlResult(socket, "commit", "ubd0", "--base=" + dir.resolve("nope.img"));
        assertTrue(stranger.exit() == 2 && stranger.err().contains("is not a layer of the stack"), stranger::toString);
        Ubd.Result speed = ctlResult(socket, "commit", "ubd0", "--speed=fast");
        assertTrue(speed.exit() == 2 && speed.err().contains("'speed'"), speed::toString);
        Ubd.Result noJob = ctlResult(socket, "job-cancel", "commit-999999");
        assertTrue(noJob.exit() == 2 && noJob.err().contains("no job 'commit-999999'"), noJob::toString);

        // a waited commit: progress lines, then the event; the stack is top1 -> back
        Ubd.Result waited = ctlResult(socket, "commit", "ubd0", "--wait");
        assertEquals(0, waited.exit(), waited::toString);
        String lastLine = waited.out().strip().substring(waited.out().strip().lastIndexOf('\n') + 1);
        JsonNode event = json.readTree(lastLine);
        assertEquals("JOB_COMPLETED", event.get("event").asText(), waited::toString);
        assertEquals("ubd0", ctl(socket, "query-devices").get(0).get("device").asText());
        JsonNode stack = stack(socket);
        assertEquals(2, stack.size(), stack::toPrettyString);
        assertEquals(s(top1), stack.get(0).get("filename").asText());
        assertEquals(s(dir.resolve("back.img")), stack.get(1).get("filename").asText());
        assertFalse(Files.exists(CommitJournal.beside(top0)));

        // a throttled commit, cancelled by another client while a --wait watches it
        ctl(socket, "snapshot", "ubd0", s(top2));
        Thread.sleep(400); // the guest writes into top2 over top1
        ctl(socket, "snapshot", "ubd0", s(dir.resolve("top3.cow")));
        JsonNode started = ctl(socket, "commit", "ubd0", "--speed=16k");
        String id = started.get("id").asText();
        CompletableFuture<Ubd.Result> watcher = CompletableFuture.supplyAsync(() -> Ubd.run("ctl", s(socket),
                "commit", "ubd0", "--top=" + top2, "--wait"));
        Ubd.Result second = watcher.get(30, TimeUnit.SECONDS);
        assertTrue(second.exit() == 2 && second.err().contains(id + " is already running"), second::toString);
        JsonNode devices = ctl(socket, "query-devices");
        assertEquals(id, devices.get(0).get("jobs").get(0).get("id").asText(), devices::toPrettyString);
        JsonNode jobs = ctl(socket, "jobs");
        JsonNode listed = jobs.get(jobs.size() - 1);
        assertEquals(id, listed.get("id").asText());
        assertEquals("running", listed.get("state").asText());
        assertEquals(16384, listed.get("limit").asLong());
        for (String field : new String[] {"device", "type", "done", "total", "speed"}) {
            assertTrue(listed.has(field), field + " in " + listed);
        }
        assertEquals("cancelled", waitForEnd(socket, id, true).get("state").asText());
        assertEquals(4, stack(socket).size(), "top3 -> top2 -> top1 -> back, as before the cancel");
        Ubd.Result afterEnd = ctlResult(socket, "job-cancel", id);
        assertTrue(afterEnd.exit() == 2 && afterEnd.err().contains("has ended"), afterEnd::toString);

        Ubd.Result result = run.get(60, TimeUnit.SECONDS);
        assertEquals(0, result.exit(), result::toString);
        assertTrue(Ubd.run("info", s(dir.resolve("top3.cow"))).ok().out().contains("top2.cow"));
    }

    /**
     * The run ends under a throttled commit that {@code ctl --wait} watches: the watcher says in one line that the
     * server went, and the job is cancelled with the device, leaving the stack it had and no journal.
     */
    @Test
    void aRunThatEndsUnderAWatchedCommitEndsTheWatcherWithOneLineAndLeavesTheStack() throws Exception {
        Path socket = dir.resolve("ctl.sock");
        CompletableFuture<Ubd.Result> run = ControlGuest.start(dir, socket, "3s");
        Thread.sleep(500);
        Path top0 = dir.resolve("top0.cow");
        Path top1 = dir.resolve("top1.cow");
        Path top2 = dir.resolve("top2.cow");
        ctl(socket, "snapshot", "ubd0", s(top1));
        ctl(socket, "snapshot", "ubd0", s(top2));
        Ubd.Result watched = ctlResult(socket, "commit", "ubd0", "--speed=16k", "--wait");
        assertEquals(2, watched.exit(), watched::toString);
        assertEquals(List.of("ubd: control socket: the server closed the connection"), watched.errLines().stream()
                .map(l -> l.replaceAll(" \\(.*\\)$", "")).toList(), watched::toString);
        Ubd.Result result = run.get(60, TimeUnit.SECONDS);
        assertEquals(0, result.exit(), result::toString);
        JsonNode info = json.readTree(Ubd.run("info", "--output=json", s(top2)).ok().out());
        assertEquals(s(top1), info.get("backing-filename").asText());
        assertEquals(s(top0), info.get("backing-image").get("backing-filename").asText());
        assertFalse(Files.exists(CommitJournal.beside(top0)), "the cancelled commit left its journal");
        Ubd.run("check", s(top0)).ok();
    }

    /** Cancels {@code id} (when asked) and polls {@code jobs} until it has ended; returns its entry. */
    private JsonNode waitForEnd(Path socket, String id, boolean cancel) throws Exception {
        if (cancel) {
            assertEquals(id, ctl(socket, "job-cancel", id).get("id").asText());
        }
        for (int i = 0; i < 400; i++) {
            for (JsonNode job : ctl(socket, "jobs")) {
                if (job.get("id").asText().equals(id) && !job.get("state").asText().equals("running")) {
                    return job;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError(id + " did not end");
    }
}
