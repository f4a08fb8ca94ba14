package org.ubdjvm.harness.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One client of the control socket: reads a line, answers it, until the client goes. A client that sent
 * {@code qmp_capabilities} (QMP's way into command mode) gets events too, through a bounded queue and a writer thread
 * of its own: a client that stops reading blocks only that thread, and once its queue is full further events are
 * dropped and counted, the count sent ({@code EVENTS_DROPPED}) before the next event that fits.
 */
final class ControlSession {
    /**
     * A longer line gets one error reply and the connection is closed, rather than buffered or skipped to its end: a
     * client can neither exhaust the heap nor hold a session with a line that never ends.
     */
    static final int MAX_LINE = 64 * 1024;
    /** Events waiting for a client that reads slowly; more are dropped. */
    static final int EVENT_QUEUE = 64;
    static final String SUBSCRIBE = "qmp_capabilities";

    private final SocketChannel channel;
    private final Map<String, ControlCommand> commands;
    private final ObjectMapper json;
    private final Consumer<ControlSession> onEnd;
    private final OutputStream out;
    private final BlockingQueue<JsonNode> events = new ArrayBlockingQueue<>(EVENT_QUEUE);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private volatile Thread eventWriter;

    ControlSession(SocketChannel channel, Map<String, ControlCommand> commands, ObjectMapper json,
                   Consumer<ControlSession> onEnd) {
        this.channel = channel;
        this.commands = commands;
        this.json = json;
        this.onEnd = onEnd;
        this.out = ChannelStreams.out(channel);
    }

    void start() {
        Thread t = new Thread(this::serve, "ubd-control-client");
        t.setDaemon(true);
        t.start();
    }

    private void serve() {
        try (InputStream in = new java.io.BufferedInputStream(ChannelStreams.in(channel))) {
            ObjectNode greeting = json.createObjectNode();
            greeting.putObject("QMP").put("product", "ubd-jvm").putArray("capabilities");
            send(greeting);
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                if (b != '\n') {
                    if (line.size() == MAX_LINE) {
                        // Skipping to the line's end could take forever (a stream with no newline holds this
                        // thread); the reply says why, then the connection goes. Other clients are not affected.
                        send(error(null, ControlError.generic("line longer than " + MAX_LINE
                                + " bytes: closing the connection")));
                        return;
                    }
                    line.write(b);
                    continue;
                }
                if (!line.toString(StandardCharsets.UTF_8).isBlank()) {
                    send(answer(line.toString(StandardCharsets.UTF_8)));
                }
                line.reset();
            }
        } catch (IOException gone) {
            // the client went away; nothing to answer
        } finally {
            close();
            onEnd.accept(this);
        }
    }

    /** The reply to one request line: never throws, whatever the line holds. */
    ObjectNode answer(String text) {
        JsonNode request;
        try {
            request = json.readTree(text);
        } catch (JsonProcessingException e) {
            return error(null, ControlError.generic("not JSON: " + e.getOriginalMessage()));
        }
        JsonNode id = request != null && request.isObject() ? request.get("id") : null;
        try {
            return ok(id, dispatch(request));
        } catch (ControlError e) {
            return error(id, e);
        } catch (RuntimeException e) {
            return error(id, ControlError.generic("internal error: " + e));
        }
    }

    private JsonNode dispatch(JsonNode request) throws ControlError {
        if (request == null || !request.isObject() || !request.path("execute").isTextual()) {
            throw ControlError.generic("expected {\"execute\": NAME, \"arguments\": {...}}");
        }
        for (Iterator<String> it = request.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!key.equals("execute") && !key.equals("arguments") && !key.equals("id")) {
                throw ControlError.generic("unknown member '" + key + "'");
            }
        }
        String name = request.get("execute").asText();
        if (name.equals(SUBSCRIBE) && subscribed.compareAndSet(false, true)) {
            Thread t = new Thread(this::writeEvents, "ubd-control-events");
            t.setDaemon(true);
            eventWriter = t;
            t.start();
        }
        ControlCommand command = commands.get(name);
        if (command == null) {
            throw new ControlError(ControlError.COMMAND_NOT_FOUND, "the command " + name + " has not been found");
        }
        JsonNode args = request.get("arguments");
        if (args != null && !args.isObject()) {
            throw ControlError.generic("'arguments' must be an object");
        }
        return command.execute(args == null ? json.createObjectNode() : (ObjectNode) args);
    }

    private ObjectNode ok(JsonNode id, JsonNode value) {
        ObjectNode r = json.createObjectNode();
        r.set("return", value == null ? json.createObjectNode() : value);
        if (id != null) {
            r.set("id", id);
        }
        return r;
    }

    private ObjectNode error(JsonNode id, ControlError e) {
        ObjectNode r = json.createObjectNode();
        r.putObject("error").put("class", e.errorClass()).put("desc", e.getMessage());
        if (id != null) {
            r.set("id", id);
        }
        return r;
    }

    /**
     * Queues {@code event} for this client if it asked for events; never blocks: with the queue full the event is
     * dropped and counted.
     */
    void offerEvent(JsonNode event) {
        if (subscribed.get() && !events.offer(event)) {
            dropped.incrementAndGet();
        }
    }

    /** The event writer's loop: the count of dropped events first, then the event, until the session ends. */
    private void writeEvents() {
        try {
            while (channel.isOpen()) {
                JsonNode event = events.take();
                long lost = dropped.getAndSet(0);
                if (lost > 0) {
                    ObjectNode note = json.createObjectNode();
                    note.put("event", "EVENTS_DROPPED");
                    note.putObject("data").put("count", lost).put("reason", "the client did not read; at most "
                            + EVENT_QUEUE + " events wait for it");
                    send(note);
                }
                send(event);
            }
        } catch (InterruptedException closed) {
            // the session ended
        }
    }

    /** One line; replies and events never interleave. A client that is gone is dropped. */
    void send(JsonNode message) {
        try {
            byte[] bytes = json.writeValueAsBytes(message);
            synchronized (out) {
                out.write(bytes);
                out.write('\n');
                out.flush();
            }
        } catch (IOException gone) {
            close();
        }
    }

    void close() {
        Thread t = eventWriter;
        if (t != null) {
            t.interrupt();
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a socket whose peer is gone
        }
    }
}
