package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.harness.control.ControlClient;

/**
 * Protocol abuse of {@code ubd run --control} while its verifying guest runs: 1 000 malformed or hostile messages
 * drawn from a seeded generator (printed; {@code -Dubd.test.seed} repeats a run). Each gets an error reply; a line
 * longer than the server's limit (several MiB with no newline, sent on connections of their own beside the main
 * one) gets an error reply and its connection closed, while the main client keeps being served. A throttled commit
 * runs throughout, so second commits and snapshots are refused. Afterwards the guest verified every read, the
 * device's stack is the setup's (its commit cancelled), and every file but those the guest and the job write has the
 * same md5 and mtime as before (and no file appeared or went).
 */
class ControlAbuseTest {
    private static final int MESSAGES = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** One hostile message: what kind it is (for the failure message) and its line, without the newline. */
    record Abuse(String kind, String line) {
        @Override
        public String toString() {
            return kind + ": " + (line.length() > 160 ? line.substring(0, 160) + "... (" + line.length() + " chars)"
                    : line);
        }
    }

    @Test
    void aThousandHostileMessagesGetErrorRepliesTheGuestVerifiesAndNoOtherFileChanges() throws Exception {
        long seed = Long.getLong("ubd.test.seed", System.nanoTime());
        System.out.println("ControlAbuseTest: seed " + seed + " (-Dubd.test.seed=" + seed + " repeats it)");
        Random random = new Random(seed);
        Path socket = dir.resolve("ctl.sock");
        CompletableFuture<Ubd.Result> run = ControlGuest.start(dir, socket, "15s");
        Files.writeString(dir.resolve("taken.img"), "someone else's");
        Files.createDirectory(dir.resolve("sub"));
        Ubd.run("create", "-f", "cow", "-b", dir.resolve("back.img").toString(), dir.resolve("other.cow").toString())
                .ok();
        Files.createSymbolicLink(dir.resolve("link.cow"), dir.resolve("taken.img"));
        Files.createSymbolicLink(dir.resolve("dangling.cow"), dir.resolve("nowhere"));
        // A stack of four and a commit of top1 into top0 throttled to 1 KiB/s, running all along: commits beside it
        // and snapshots are refused. It writes top0 (its base) and top1 (the layer above the base, on its cancel)
        // and their journal: those and the active top are the files that may change.
        String runningJob;
        try (ControlClient setup = ControlClient.connect(socket)) {
            for (int i = 1; i <= 2; i++) {
                Thread.sleep(100); // a few of the guest's writes in each layer
                JsonNode r = setup.send(Generator.snapshotOnto(dir.resolve("top" + i + ".cow").toString()));
                assertTrue(r.has("return"), r::toString);
            }
            JsonNode job = setup.send("{\"execute\": \"commit\", \"arguments\": {\"device\": \"ubd0\", \"top\": \""
                    + dir.resolve("top1.cow") + "\", \"base\": \"" + dir.resolve("top0.cow") + "\", \"speed\": 1024}}");
            assertTrue(job.has("return"), job::toString);
            runningJob = job.get("return").get("id").asText();
        }
        Map<String, String> before = fingerprints();

        Generator generator = new Generator(random, dir, socket);
        List<Abuse> messages = new ArrayList<>();
        int hugeLines = 0;
        for (int i = 0; i < MESSAGES; i++) {
            if (random.nextInt(100) == 0) {
                hugeLines++; // on a connection of its own, beside the main one
            } else {
                messages.add(generator.next());
            }
        }
        int huge = hugeLines;
        CompletableFuture<List<String>> hugeReplies = CompletableFuture.supplyAsync(() -> {
            List<String> outcomes = new ArrayList<>();
            Random r = new Random(seed + 1);
            for (int i = 0; i < huge; i++) {
                outcomes.add(hugeLine(socket, (2 + r.nextInt(5)) << 20, r));
            }
            return outcomes;
        });
        String where = " (seed " + seed + ")";
        long started = System.nanoTime();
        List<String> hugeOutcomes;
        try (ControlClient client = ControlClient.connect(socket)) {
            for (Abuse m : messages) {
                JsonNode reply;
                try {
                    reply = client.send(m.line());
                } catch (IOException e) {
                    throw new AssertionError("no reply to " + m + where, e);
                }
                if (!reply.has("error") || !reply.get("error").path("desc").isTextual()) {
                    fail("not an error reply to " + m + where + ": " + reply);
                }
            }
            hugeOutcomes = hugeReplies.get(120, TimeUnit.SECONDS);
            for (String outcome : hugeOutcomes) {
                assertTrue(outcome.equals("closed") || outcome.contains("longer than"), outcome + where);
            }
            assertFalse(run.isDone(), "the guest ran all along: give it a longer runtime" + where);
            JsonNode jobs = client.execute("query-jobs", null).get("return");
            assertEquals("running", jobs.get(0).get("state").asText(), "the throttled commit ran all along: " + jobs);
            assertTrue(client.execute("job-cancel", JSON.createObjectNode().put("id", runningJob)).has("return"));
            for (int i = 0; i < 600 && client.execute("query-jobs", null).get("return").get(0).get("state").asText()
                    .equals("running"); i++) {
                Thread.sleep(50);
            }
            JsonNode stack = client.execute("query-devices", null).get("return").get(0).get("stack");
            List<String> files = new ArrayList<>();
            stack.forEach(layer -> files.add(layer.get("filename").asText()));
            assertEquals(List.of(dir.resolve("top2.cow").toString(), dir.resolve("top1.cow").toString(),
                    dir.resolve("top0.cow").toString(), dir.resolve("back.img").toString()), files,
                    "the stack is the one the setup made (its commit cancelled)" + where);
        }
        System.out.printf("ControlAbuseTest: %d messages answered with errors in %.1f s, %d over-long lines refused"
                + " (%d with a reply before the close); kinds %s%n", messages.size(),
                (System.nanoTime() - started) / 1e9, hugeLines, hugeOutcomes.stream().filter(o -> !o.equals("closed"))
                        .count(), generator);
        Ubd.Result result = run.get(60, TimeUnit.SECONDS);
        assertEquals(0, result.exit(), result + where);
        assertTrue(result.out().contains("mismatches: 0"), result + where);
        assertEquals(before, fingerprints(), "every file but the guest's top, md5 and mtime" + where);
    }

    /**
     * Sends {@code bytes} of junk with no newline on a connection of its own; returns the reply line, or "closed"
     * when the connection went before one could be read.
     */
    private static String hugeLine(Path socket, int bytes, Random random) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                    StandardCharsets.UTF_8));
            in.readLine(); // the greeting
            byte[] junk = new byte[bytes];
            random.nextBytes(junk);
            for (int i = 0; i < junk.length; i++) {
                junk[i] = junk[i] == '\n' ? (byte) ' ' : junk[i];
            }
            try {
                ByteBuffer b = ByteBuffer.wrap(junk);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            } catch (IOException refused) {
                // the server closed the connection while we wrote: as it should, with its reply queued
            }
            try {
                String line = in.readLine();
                return line == null ? "closed" : line;
            } catch (IOException reset) {
                return "closed";
            }
        } catch (IOException e) {
            throw new IllegalStateException("huge line: " + e, e);
        }
    }

    /** The files the guest and the setup's commit write, and the socket: every other file must stay as it was. */
    private static final java.util.Set<String> CHANGING = java.util.Set.of("top2.cow", "top1.cow", "top0.cow",
            "ctl.sock");
    /** The job's journal, and the temporary it is rewritten through, whose name ends with a number. */
    private static final String JOURNAL = ".top1.cow.ubd-commit";

    /** md5 and mtime of every file under the directory but those that may change ({@link #CHANGING}, the journal). */
    private Map<String, String> fingerprints() throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return fingerprintsOnce();
            } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException vanished) {
                if (attempt == 5) { // the job's journal temporary went while the directory was walked: again
                    throw vanished;
                }
            }
        }
    }

    private Map<String, String> fingerprintsOnce() throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.toList()) {
                String name = dir.relativize(p).toString();
                if (CHANGING.contains(name) || name.contains(JOURNAL)) { // the journal and its temporary (".NAME.ubd-journal-PID")
                    continue;
                }
                if (Files.isSymbolicLink(p)) {
                    out.put(name, "-> " + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p)) {
                    out.put(name, "directory");
                } else {
                    byte[] md5 = MessageDigest.getInstance("MD5").digest(Files.readAllBytes(p));
                    out.put(name, HexFormat.of().formatHex(md5) + " " + Files.getLastModifiedTime(p).toMillis());
                }
            }
        }
        return out;
    }

    /** Hostile messages, each kind a function of the random generator; counts what it made. */
    static final class Generator {
        private final Random random;
        private final List<Map.Entry<String, Function<Random, String>>> kinds = new ArrayList<>();
        final Map<String, Integer> made = new TreeMap<>();
        private int fresh;

        Generator(Random random, Path dir, Path socket) {
            this.random = random;
            String valid = "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": \""
                    + dir.resolve("fresh.cow") + "\"}}";
            kind("bad JSON", r -> {
                String cut = valid.substring(0, 1 + r.nextInt(valid.length() - 2));
                return r.nextBoolean() ? cut : cut + "}}}".substring(r.nextInt(3)) + ",";
            });
            kind("binary junk", r -> {
                StringBuilder sb = new StringBuilder("\u0001");
                for (int i = r.nextInt(400); i > 0; i--) {
                    char c = (char) (1 + r.nextInt(0xD7FF));
                    sb.append(c == '\n' || c == '\r' ? '\u0002' : c);
                }
                return sb.toString();
            });
            kind("deep nesting", r -> {
                int depth = 1000 + r.nextInt(9_000); // at most 6 bytes a level: under the server's 64 KiB lines
                return switch (r.nextInt(3)) {
                    case 0 -> "[".repeat(depth) + "]".repeat(depth);
                    case 1 -> "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
                    default -> "{\"execute\": \"snapshot\", \"arguments\": " + "{\"x\":".repeat(depth) + "{}"
                            + "}".repeat(depth) + "}";
                };
            });
            kind("not a request", r -> pick(r, "42", "null", "\"execute\"", "[]", "{}", "true", "-1e999",
                    "{\"arguments\": {}}", "[{\"execute\": \"query-devices\"}]", "{\"execute\": \"query-devices\"}x"));
            kind("unknown command", r -> "{\"execute\": " + JSON.valueToTree(word(r)) + "}");
            kind("wrong types", r -> pick(r,
                    "{\"execute\": 1}", "{\"execute\": null}", "{\"execute\": {}}", "{\"execute\": [\"snapshot\"]}",
                    "{\"execute\": \"snapshot\", \"arguments\": []}",
                    "{\"execute\": \"snapshot\", \"arguments\": \"ubd0\"}",
                    "{\"execute\": \"snapshot\", \"arguments\": 7}",
                    "{\"execute\": \"snapshot\", \"arguments\": {\"device\": 0, \"file\": \"" + fresh(dir) + "\"}}",
                    "{\"execute\": \"snapshot\", \"arguments\": {\"device\": [\"ubd0\"], \"file\": \"" + fresh(dir)
                            + "\"}}",
                    "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": 5}}",
                    "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": {\"a\": 1}}}",
                    "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": \"" + fresh(dir)
                            + "\", \"format\": 3}}",
                    "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": \"" + fresh(dir)
                            + "\", \"format\": [\"cow\"]}}",
                    "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": \"" + fresh(dir)
                            + "\", \"options\": \"version=2\"}}",
                    "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": \"" + fresh(dir)
                            + "\", \"options\": {\"version\": {\"v\": 2}}}}",
                    "{\"execute\": \"snapshot\", \"arguments\": {\"device\": null, \"file\": null}}"));
            kind("unknown argument", r -> pick(r,
                    "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": \"" + fresh(dir)
                            + "\", " + JSON.valueToTree(word(r)) + ": 1}}",
                    "{\"execute\": \"query-devices\", \"arguments\": {\"verbose\": true}}",
                    "{\"execute\": \"query-commands\", \"arguments\": {\"all\": 1}}",
                    "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}",
                    "{\"execute\": \"query-devices\", \"extra\": 1}"));
            kind("unknown device", r -> "{\"execute\": \"snapshot\", \"arguments\": {\"device\": "
                    + JSON.valueToTree(pick(r, "ubd1", "ubd9", "ubdb", "ubd0p1", "ubda1", "", "UBD0", "ubd00",
                    word(r))) + ", \"file\": \"" + fresh(dir) + "\"}}");
            String commit = "{\"execute\": \"commit\", \"arguments\": {\"device\": \"ubd0\"";
            kind("commit of the active layer", r -> commit + ", \"top\": " + JSON.valueToTree(pick(r,
                    dir.resolve("top2.cow"), dir.resolve("top2.cow"), dir.resolve(".").resolve("top2.cow"))
                    .toString()) + (r.nextBoolean() ? "" : ", \"base\": \"" + dir.resolve("back.img") + "\"") + "}}");
            kind("a second commit while one runs", r -> commit + pick(r, "", ", \"speed\": 0",
                    ", \"top\": \"" + dir.resolve("top1.cow") + "\"", ", \"base\": \"" + dir.resolve("back.img")
                            + "\"", ", \"top\": \"" + dir.resolve("top0.cow") + "\"") + "}}");
            kind("commit with bad arguments", r -> commit + pick(r, ", \"speed\": \"fast\"", ", \"speed\": -1",
                    ", \"speed\": {}", ", \"top\": 5", ", \"base\": [\"x\"]", ", \"top\": \"" + dir.resolve("taken.img")
                            + "\"", ", \"base\": \"/nonexistent\"", ", \"wait\": true", ", " + JSON.valueToTree(word(r))
                            + ": 0") + "}}");
            kind("job-cancel of unknown ids", r -> "{\"execute\": \"job-cancel\", \"arguments\": " + pick(r,
                    "{\"id\": " + JSON.valueToTree(word(r)) + "}", "{\"id\": \"commit-999999\"}", "{\"id\": 1}",
                    "{\"id\": null}", "{}", "{\"id\": [\"commit-1\"]}", "{\"id\": \"" + "x".repeat(10_000) + "\"}")
                    + "}");
            kind("snapshot while a job runs", r -> "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\","
                    + " \"file\": \"" + fresh(dir) + "\"}}");
            kind("snapshot onto an existing file", r -> snapshotOnto(pick(r,
                    dir.resolve("taken.img"), dir.resolve("top0.cow"), dir.resolve("back.img"),
                    dir.resolve("top1.cow"), dir.resolve("top2.cow"),
                    dir.resolve("other.cow"), socket, dir, dir.resolve("sub"), dir.resolve("link.cow"),
                    dir.resolve("dangling.cow"), Path.of("/"), Path.of("/dev/null")).toString()));
            kind("snapshot into a missing directory", r -> snapshotOnto(pick(r,
                    dir.resolve("missing/x.cow"), dir.resolve("taken.img/x.cow"), Path.of("/proc/nope/x.cow"),
                    dir.resolve("sub/deeper/x.cow")).toString()));
            kind("snapshot with a bad format or option", r -> "{\"execute\": \"snapshot\", \"arguments\": {"
                    + "\"device\": \"ubd0\", \"file\": \"" + fresh(dir) + "\", " + pick(r,
                    "\"format\": \"nope\"", "\"format\": \"raw\"", "\"format\": \"disk\"", "\"format\": \"header\"",
                    "\"format\": \"nbd\"", "\"format\": \"\"", "\"options\": {\"version\": \"7\"}",
                    "\"options\": {\"version\": \"x\"}", "\"options\": {\"bogus\": \"1\"}",
                    "\"format\": \"isam\", \"options\": {\"unit-size\": \"3\"}") + "}}");
        }

        private void kind(String name, Function<Random, String> make) {
            kinds.add(Map.entry(name, make));
        }

        Abuse next() {
            Map.Entry<String, Function<Random, String>> k = kinds.get(random.nextInt(kinds.size()));
            made.merge(k.getKey(), 1, Integer::sum);
            String line = k.getValue().apply(random);
            return new Abuse(k.getKey(), line.isBlank() ? line + "x" : line); // a blank line is no request
        }

        /** A file name nobody has: were a refused snapshot made, it would show as a new file. */
        private String fresh(Path dir) {
            return dir.resolve("fresh" + fresh++ + ".cow").toString();
        }

        @Override
        public String toString() {
            return made.toString();
        }

        private static String snapshotOnto(String file) {
            return "{\"execute\": \"snapshot\", \"arguments\": {\"device\": \"ubd0\", \"file\": "
                    + JSON.valueToTree(file) + "}}";
        }

        private static String word(Random r) {
            StringBuilder sb = new StringBuilder();
            for (int i = 1 + r.nextInt(20); i > 0; i--) {
                sb.append((char) (r.nextBoolean() ? 'a' + r.nextInt(26) : 0x20 + r.nextInt(0x5f)));
            }
            return sb.toString();
        }

        @SafeVarargs
        private static <T> T pick(Random r, T... choices) {
            return choices[r.nextInt(choices.length)];
        }
    }
}
