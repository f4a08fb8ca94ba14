package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.harness.control.ControlClient;

/** {@code ubd run --control}: snapshots taken from outside while a verifying guest writes, and hostile clients. */
class ControlSocketTest {
    @TempDir
    Path dir;

    /** Starts a verifying random-write guest with a control socket; returns its result when it ends. */
    private CompletableFuture<Ubd.Result> guest(Path socket, String runtime) throws Exception {
        return ControlledRun.start(dir, socket, runtime);
    }

    @Test
    void snapshotsFromUbdCtlDuringAVerifyingWorkloadKeepEveryReadRightAndTheChainOpens() throws Exception {
        Path socket = dir.resolve("ctl.sock");
        CompletableFuture<Ubd.Result> run = guest(socket, "3s");
        int snapshots = 8;
        for (int i = 1; i <= snapshots; i++) {
            Ubd.Result r = Ubd.run("ctl", s(socket), "snapshot", "ubd0", s(dir.resolve("top" + i + ".cow"))).ok();
            assertTrue(new ObjectMapper().readTree(r.out()).get("pause-ns").asLong() > 0, r::toString);
        }
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
        }
        assertEquals(snapshots + 2, depth, info::toPrettyString);
    }

    @Test
    void aThousandHostileMessagesGetErrorRepliesAndTheGuestKeepsVerifying() throws Exception {
        Path socket = dir.resolve("ctl.sock");
        CompletableFuture<Ubd.Result> run = guest(socket, "8s");
        Path taken = Files.writeString(dir.resolve("taken.img"), "someone else's");
        Set<String> before = files();
        Random random = new Random(7);
        List<String> lines = new ArrayList<>(List.of(
                "{", "[]", "null", "42", "\"execute\"", "{\"execute\": 1}", "{\"execute\": \"no-such\"}",
                "{\"execute\": \"snapshot\"}", "{\"execute\": \"snapshot\", \"arguments\": []}",
                "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd9\", \"file\": \"x.cow\"}}",
                "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": \"" + taken + "\"}}",
                "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": \"" + dir.resolve("top0.cow") + "\"}}",
                "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": \"" + dir.resolve("back.img") + "\"}}",
                "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": \"/proc/nope/x.cow\"}}",
                "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": \"\"}}",
                "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": \"" + dir.resolve("n.cow") + "\", \"format\": \"nope\"}}",
                "{\"execute\": \"query-devices\", \"extra\": 1}",
                "[".repeat(5000) + "]".repeat(5000),
                "x".repeat(200_000)));
        while (lines.size() < 1000) {
            byte[] junk = new byte[random.nextInt(300)];
            random.nextBytes(junk);
            String text = new String(junk, java.nio.charset.StandardCharsets.ISO_8859_1).replace('\n', ' ');
            if (text.isBlank()) {
                continue; // whitespace between requests is no request (as in QMP): no reply to wait for
            }
            lines.add(random.nextBoolean() ? text : "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \""
                    + text.replace('"', ' ').replace('\\', ' ') + "\"}}");
        }
        int errors = 0;
        try (ControlClient client = ControlClient.connect(socket)) {
            for (String line : lines) {
                JsonNode reply;
                try {
                    reply = client.send(line);
                } catch (java.io.IOException e) {
                    throw new AssertionError("after " + errors + " replies, on " + line.substring(0, Math.min(80, line.length())), e);
                }
                JsonNode answer = reply;
                assertTrue(reply.has("error"), () -> line.substring(0, Math.min(80, line.length())) + " -> " + answer);
                errors++;
            }
            assertTrue(client.execute("query-devices", null).has("return"), "the server still answers");
        }
        assertEquals(1000, errors);
        Ubd.Result result = run.get(60, TimeUnit.SECONDS);
        assertEquals(0, result.exit(), result::toString);
        assertEquals("someone else's", Files.readString(taken));
        Set<String> after = files();
        after.remove("ctl.sock");
        before.remove("ctl.sock");
        assertEquals(before, after, "no file made or removed by a refused command");
    }

    private Set<String> files() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }
}
