package org.ubdjvm.harness.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events of the control socket: to the clients that asked (qmp_capabilities) as they happen, whether or not the
 * client is sending anything; and a client that never reads blocks neither the sender (a job's thread) nor the
 * other clients: events beyond its queue are dropped and counted.
 */
class ControlEventsTest {
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    /** A raw client that only reads after subscribing, so nothing it sends can make the server write. */
    private final class RawClient implements AutoCloseable {
        final SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        final BufferedReader in;

        RawClient(Path socket) throws IOException {
            channel.connect(UnixDomainSocketAddress.of(socket));
            in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            assertTrue(json.readTree(in.readLine()).has("QMP"));
        }

        void subscribe() throws IOException {
            channel.write(ByteBuffer.wrap("{\"execute\": \"qmp_capabilities\"}\n".getBytes(StandardCharsets.UTF_8)));
            assertTrue(json.readTree(in.readLine()).has("return"), "the reply to qmp_capabilities: events from now on");
        }

        /** The next line, or a failure when none comes within {@code seconds}. */
        JsonNode next(int seconds) throws Exception {
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try {
                    return in.readLine();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return json.readTree(line.get(seconds, TimeUnit.SECONDS));
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /**
     * The session's reader waits for the client's next line meanwhile: an event must not wait for that line (with the
     * JDK's Channels streams it did, as their read and write share the channel's blocking lock).
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anIdleClientGetsEachEventAsItHappens() throws Exception {
        Path socket = dir.resolve("ctl.sock");
        try (ControlServer server = ControlServer.start(socket, new DeviceCommands(List.of()).commands(), w -> { });
             RawClient idle = new RawClient(socket)) {
            idle.subscribe();
            for (int i = 0; i < 3; i++) {
                server.broadcast("JOB_COMPLETED", json.createObjectNode().put("n", i));
                JsonNode e = idle.next(10);
                assertEquals("JOB_COMPLETED", e.get("event").asText(), e::toString);
                assertEquals(i, e.get("data").get("n").asInt(), e::toString);
                assertTrue(e.has("timestamp"), e::toString);
            }
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aClientThatNeverReadsBlocksNobodyAndLearnsHowManyEventsItMissed() throws Exception {
        Path socket = dir.resolve("ctl.sock");
        try (ControlServer server = ControlServer.start(socket, new DeviceCommands(List.of()).commands(), w -> { });
             RawClient stalled = new RawClient(socket)) {
            stalled.subscribe();
            try (ControlClient quiet = ControlClient.connect(socket)) {
                quiet.execute("query-commands", null); // this session is known to the server: it asked for no events
                String padding = "x".repeat(2000);
                long start = System.nanoTime();
                int sent = 20_000; // 40 MB: far beyond what the socket buffers for a client that does not read
                for (int i = 0; i < sent; i++) {
                    server.broadcast("JOB_COMPLETED", json.createObjectNode().put("n", i).put("pad", padding));
                }
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertTrue(millis < 10_000, "broadcasting took " + millis + " ms");
                assertTrue(quiet.execute("query-commands", null).has("return"), "another client is still answered");
                assertTrue(quiet.takeEvents().isEmpty(), "no events for a client that did not ask");
                int events = 0;
                long dropped = 0;
                int last = -1;
                // each one arrives, or is counted in the note before the next one that does
                while (events + dropped < sent) {
                    JsonNode e = stalled.next(10);
                    if (e.get("event").asText().equals("EVENTS_DROPPED")) {
                        dropped += e.get("data").get("count").asLong();
                    } else {
                        assertEquals("JOB_COMPLETED", e.get("event").asText());
                        int n = e.get("data").get("n").asInt();
                        assertTrue(n > last, "in order: " + n + " after " + last);
                        last = n;
                        events++;
                    }
                }
                assertTrue(dropped > 0, "some were dropped");
                assertTrue(events < 1000, events + " delivered: the queue and the socket's buffer");
            }
        }
    }
}
