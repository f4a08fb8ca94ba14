package org.ubdjvm.harness.control;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The control socket of a running {@code ubd run}: a Unix socket speaking JSON lines shaped like QEMU's QMP. A client
 * gets a greeting, then sends {@code {"execute": NAME, "arguments": {...}, "id": ANY}} and gets {@code {"return": ...}}
 * or {@code {"error": {"class": ..., "desc": ...}}} (with its {@code id}). Events ({@link #broadcast}) go to the
 * clients that sent {@code qmp_capabilities}, never blocking the caller. Nothing a client sends can stop the server:
 * a bad line is an error reply.
 *
 * <p>A thread per client: the control plane carries a few commands a second, never the guest's I/O.
 */
public final class ControlServer implements AutoCloseable {
    private final Path path;
    private final ServerSocketChannel server;
    private final Map<String, ControlCommand> commands;
    private final Consumer<String> warnings;
    private final Set<ControlSession> sessions = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    /** Strict: a request line is one JSON value; {@code {...}x} is refused, not read as its first value. */
    private final ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private volatile boolean closed;

    private ControlServer(Path path, ServerSocketChannel server, Map<String, ControlCommand> commands,
                          Consumer<String> warnings) {
        this.path = path;
        this.server = server;
        this.commands = Map.copyOf(commands);
        this.warnings = warnings;
        this.acceptor = new Thread(this::acceptLoop, "ubd-control");
        this.acceptor.setDaemon(true);
    }

    /**
     * Listens on {@code path}. A socket file left there by a process that is gone is replaced; any other file is
     * refused with one line, untouched.
     */
    public static ControlServer start(Path path, Map<String, ControlCommand> commands, Consumer<String> warnings)
            throws IOException {
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isOther() || ControlClient.answers(path)) {
                throw new IOException(path + ": control socket: the file exists"
                        + (a.isOther() ? " and a server answers on it" : " and is not a socket"));
            }
            Files.delete(path); // a stale socket of a server that died
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
        } catch (IOException e) {
            server.close();
            throw new IOException(path + ": control socket: " + e.getMessage(), e);
        }
        ControlServer s = new ControlServer(path, server, commands, warnings);
        s.acceptor.start();
        return s;
    }

    public Path path() {
        return path;
    }


    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel client = server.accept();
                ControlSession session = new ControlSession(client, commands, json, sessions::remove);
                sessions.add(session);
                session.start();
            } catch (IOException e) {
                if (!closed) {
                    warnings.accept("control socket " + path + ": " + e.getMessage());
                }
                return;
            }
        }
    }

    /**
     * Sends {@code {"event": NAME, "data": data, "timestamp": {...}}} to every client that asked for events. Never
     * blocks: each client has a bounded queue (see {@link ControlSession}).
     */
    public void broadcast(String name, JsonNode data) {
        ObjectNode event = json.createObjectNode();
        event.put("event", name);
        event.set("data", data);
        long micros = java.time.temporal.ChronoUnit.MICROS.between(java.time.Instant.EPOCH, java.time.Instant.now());
        event.putObject("timestamp").put("seconds", micros / 1_000_000).put("microseconds", micros % 1_000_000);
        for (ControlSession s : sessions) {
            s.offerEvent(event);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        try {
            server.close();
            for (ControlSession s : sessions) {
                s.close();
            }
        } finally {
            Files.deleteIfExists(path);
        }
    }
}
