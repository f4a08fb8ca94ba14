package org.ubdjvm.harness.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;

/**
 * One client from connect to close: the handshake, then the transmission phase with a writer thread of its own.
 * Ends by returning what went wrong, for the server's one warning line, or null for an orderly end.
 */
final class NbdConnection {
    private final SocketChannel channel;
    private final NbdExport export;
    private final String name;

    NbdConnection(SocketChannel channel, NbdExport export, String name) {
        this.channel = channel;
        this.export = export;
        this.name = name;
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
            Session session = new OptionHaggling(in, channel, export).run();
            if (session == null) {
                return null;
            }
            return transmit(in, session);
        } catch (EOFException e) {
            return "closed in the middle of a message";
        } catch (IOException e) {
            return reason(e);
        }
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
