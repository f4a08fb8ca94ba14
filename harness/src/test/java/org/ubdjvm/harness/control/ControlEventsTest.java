package org.ubdjvm.harness.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events of the control socket: only to the clients that asked (qmp_capabilities), and a client that never reads
 * cannot block the sender (a job's thread) or the other clients: its events beyond its queue are dropped and counted.
 */
class ControlEventsTest {
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aClientThatNeverReadsBlocksNobodyAndLearnsHowManyEventsItMissed() throws Exception {
        Path socket = dir.resolve("ctl.sock");
        try (ControlServer server = ControlServer.start(socket, new DeviceCommands(List.of()).commands(), w -> { });
             SocketChannel stalled = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            stalled.connect(UnixDomainSocketAddress.of(socket));
            stalled.write(ByteBuffer.wrap("{\"execute\": \"qmp_capabilities\"}\n".getBytes(StandardCharsets.UTF_8)));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(stalled),
                    StandardCharsets.UTF_8));
            assertTrue(json.readTree(in.readLine()).has("QMP"));
            assertTrue(json.readTree(in.readLine()).has("return"), "the reply to qmp_capabilities: events from now on");
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
                long droppedCount = 0;
                while (events + droppedCount < sent) { // every event either arrives or is counted as dropped
                    JsonNode e = json.readTree(in.readLine());
                    if (e.get("event").asText().equals("EVENTS_DROPPED")) {
                        droppedCount += e.get("data").get("count").asLong();
                    } else {
                        assertEquals("JOB_COMPLETED", e.get("event").asText());
                        assertTrue(e.has("timestamp"), e::toString);
                        events++;
                    }
                }
                assertTrue(droppedCount > 0, "some were dropped");
                assertTrue(events > 0 && events < 1000, events + " delivered: the queue and the socket's buffer");
            }
        }
    }
}
