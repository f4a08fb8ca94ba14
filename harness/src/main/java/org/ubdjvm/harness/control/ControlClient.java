package org.ubdjvm.harness.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A client of the control socket ({@code ubd ctl}): one request, its reply. Events that arrive in between are kept
 * for {@link #takeEvents} (they come only after {@code qmp_capabilities}).
 */
public final class ControlClient implements AutoCloseable {
    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;
    private final ObjectMapper json = new ObjectMapper();
    private final java.util.List<JsonNode> events = new java.util.ArrayList<>();

    private ControlClient(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(ChannelStreams.in(channel), StandardCharsets.UTF_8));
        this.out = ChannelStreams.out(channel);
        JsonNode greeting = json.readTree(readLine(path()));
        if (greeting == null || !greeting.has("QMP")) {
            throw new IOException("not a ubd control socket: no greeting");
        }
    }

    public static ControlClient connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new ControlClient(ch);
        } catch (IOException e) {
            ch.close();
            throw new IOException(socket + ": control socket: " + e.getMessage(), e);
        }
    }

    /** Whether a server is listening at {@code socket} (a stale socket file of a dead server refuses). */
    static boolean answers(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends {@code {"execute": command, "arguments": arguments}}; returns the reply (a return or an error). */
    public JsonNode execute(String command, ObjectNode arguments) throws IOException {
        ObjectNode request = json.createObjectNode();
        request.put("execute", command);
        if (arguments != null && arguments.size() > 0) {
            request.set("arguments", arguments);
        }
        return send(json.writeValueAsString(request));
    }

    /** Sends one raw line; returns the first reply that is not an event. */
    public JsonNode send(String line) throws IOException {
        try {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) { // EPIPE: the server went (its run ended) since the last reply
            throw new IOException(path() + ": the server closed the connection (" + e.getMessage() + ")", e);
        }
        while (true) {
            JsonNode reply = json.readTree(readLine(path()));
            if (reply != null && !reply.has("event")) {
                return reply;
            }
            if (reply != null) {
                events.add(reply);
            }
        }
    }

    /** The events received so far and not taken yet, oldest first. */
    public java.util.List<JsonNode> takeEvents() {
        java.util.List<JsonNode> taken = java.util.List.copyOf(events);
        events.clear();
        return taken;
    }

    private String path() {
        return "control socket";
    }

    private String readLine(String what) throws IOException {
        String line = in.readLine();
        if (line == null) {
            throw new IOException(what + ": the server closed the connection");
        }
        return line;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
