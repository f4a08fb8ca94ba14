package org.ubdjvm.harness.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One client from connect to close: the handshake, then the transmission phase with a writer thread of its own.
 * Ends by returning what went wrong, for the server's one warning line, or null for an orderly end.
 */
final class NbdConnection {
    private final SocketChannel channel;
    private final NbdExport export;
    private final String name;
    private final ScheduledExecutorService timer;
    private final Duration handshakeLimit;
    /** The handshake took longer than its limit and the connection was closed for it. */
    private volatile boolean late;

    NbdConnection(SocketChannel channel, NbdExport export, String name, ScheduledExecutorService timer,
                  Duration handshakeLimit) {
        this.channel = channel;
        this.export = export;
        this.name = name;
        this.timer = timer;
        this.handshakeLimit = handshakeLimit;
    }

    /** Closes the socket: the reader's blocked read fails, and the connection winds down. */
    void abort() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing is all we wanted
        }
    }

    /** Serves the client; returns the reason the connection was dropped, or null when it ended in order. */
    String serve() {
        try (channel) {
            if (channel.getLocalAddress() instanceof java.net.InetSocketAddress) {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true); // replies are small and latency-bound
            }
            WireReader in = new WireReader(channel);
            Session session = handshake(in);
            if (session == null) {
                return null;
            }
            String problem = transmit(in, session);
            return late ? lateReason() : problem;
        } catch (EOFException e) {
            return late ? lateReason() : "closed in the middle of a message";
        } catch (IOException e) {
            return late ? lateReason() : reason(e);
        }
    }

    /**
     * Option haggling, within a time limit (qemu-nbd's handshake limit): a client that connects and says nothing
     * would otherwise hold its thread, and a slot of {@code --shared}, for ever.
     */
    private Session handshake(WireReader in) throws IOException {
        ScheduledFuture<?> deadline = timer.schedule(() -> {
            late = true;
            abort();
        }, handshakeLimit.toMillis(), TimeUnit.MILLISECONDS);
        try {
            return new OptionHaggling(in, channel, export).run();
        } finally {
            deadline.cancel(false);
        }
    }

    private String lateReason() {
        return "handshake not finished within " + handshakeLimit.toMillis() / 1000.0 + " s";
    }

    private String transmit(WireReader in, Session session) throws IOException {
        ReplyWriter writer = new ReplyWriter(channel);
        Thread writerThread = new Thread(writer, name + "-writer");
        writerThread.setDaemon(true);
        writerThread.start();
        Transmission transmission = new Transmission(in, writer, export, session);
        String problem = null;
        try {
            transmission.run();
        } catch (EOFException e) {
            problem = "closed in the middle of a request";
        } catch (IOException e) {
            problem = reason(e);
            abort(); // a hard disconnect: replies still to come are dropped
        } finally {
            transmission.drain(); // requests in flight complete (the ring bounds how long) before the socket goes
            writer.stop();
            NbdServer.join(writerThread);
        }
        return problem;
    }

    private static String reason(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
