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

/** {@code ubd run --control}: snapshots taken from outside while a verifying guest writes (hostile clients: ControlAbuseTest). */
class ControlSocketTest {
    @TempDir
    Path dir;

    @Test
    void snapshotsFromUbdCtlDuringAVerifyingWorkloadKeepEveryReadRightAndTheChainOpens() throws Exception {
        Path socket = dir.resolve("ctl.sock");
        // long enough for 8 snapshots on a loaded host: each makes its file and syncs the old top beside the guest
        CompletableFuture<Ubd.Result> run = ControlGuest.start(dir, socket, "8s");
        int snapshots = 8;
        for (int i = 1; i <= snapshots; i++) {
            String top = s(dir.resolve("top" + i + ".cow"));
            // the second one a V2 file, by its create option
            Ubd.Result r = (i == 2 ? Ubd.run("ctl", s(socket), "snapshot", "ubd0", top, "-o", "version=2")
                    : Ubd.run("ctl", s(socket), "snapshot", "ubd0", top)).ok();
            assertTrue(new ObjectMapper().readTree(r.out()).get("pause-ns").asLong() > 0, r::toString);
        }
        Ubd.Result notForQuery = Ubd.run("ctl", s(socket), "query-devices", "-o", "version=2");
        assertEquals(2, notForQuery.exit(), notForQuery::toString);
        assertTrue(notForQuery.err().contains("-o is for snapshot"), notForQuery::toString);
        String commands = Ubd.run("ctl", s(socket), "query-commands").ok().out();
        for (String name : List.of("qmp_capabilities", "query-commands", "query-devices", "snapshot")) {
            assertTrue(commands.contains("\"name\" : \"" + name + "\""), commands);
        }
        JsonNode devices = new ObjectMapper().readTree(Ubd.run("ctl", s(socket), "query-devices").ok().out());
        JsonNode stack = devices.get(0).get("stack");
        assertEquals(snapshots + 2, stack.size(), devices::toPrettyString);
        assertEquals(s(dir.resolve("top" + snapshots + ".cow")), stack.get(0).get("filename").asText());
        assertFalse(stack.get(0).get("read-only").asBoolean());
        assertTrue(stack.get(1).get("read-only").asBoolean());
        assertEquals("raw", stack.get(snapshots + 1).get("format").asText());
        Ubd.Result result = run.get(60, TimeUnit.SECONDS);
        assertEquals(0, result.exit(), result::toString);
        assertFalse(Files.exists(socket), "the socket goes with the run");
        JsonNode info = new ObjectMapper().readTree(
                Ubd.run("info", "--output=json", s(dir.resolve("top" + snapshots + ".cow"))).ok().out());
        int depth = 0;
        for (JsonNode n = info; n != null && !n.isMissingNode() && !n.isNull(); n = n.get("backing-image")) {
            depth++;
            int version = n.path("format-specific").path("version").asInt();
            if (n.get("filename").asText().endsWith("/top2.cow")) {
                assertEquals(2, version, n::toPrettyString);
            } else if (n.get("format").asText().equals("cow")) {
                assertEquals(3, version, n::toPrettyString);
            }
        }
        assertEquals(snapshots + 2, depth, info::toPrettyString);
    }
}
