package org.ubdjvm.harness.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.EOFException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.ubdjvm.cow.nbd.NbdWire;

/**
 * A bare NBD client for tests: it sends exactly the bytes it is told to, well-formed or not, and reads what comes
 * back. Simple replies only (it never asks for structured ones).
 */
final class WireClient implements AutoCloseable {
    private final SocketChannel channel;

    private WireClient(SocketChannel channel) {
        this.channel = channel;
    }

    /** Connects and reads the server's greeting. */
    static WireClient connect(Path socket) throws IOException {
        WireClient c = new WireClient(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
        ByteBuffer greeting = c.read(18);
        assertEquals(NbdWire.NBDMAGIC, greeting.getLong());
        assertEquals(NbdWire.IHAVEOPT, greeting.getLong());
        assertEquals(NbdWire.FLAG_FIXED_NEWSTYLE | NbdWire.FLAG_NO_ZEROES, greeting.getShort());
        return c;
    }

    /** Connects, sends the usual client flags and enters transmission with NBD_OPT_GO; returns the export size. */
    static WireClient go(Path socket) throws IOException {
        WireClient c = connect(socket);
        c.send(ByteBuffer.allocate(4).putInt(NbdWire.FLAG_C_FIXED_NEWSTYLE | NbdWire.FLAG_C_NO_ZEROES).flip());
        c.option(NbdWire.OPT_GO, ByteBuffer.allocate(6).putInt(0).putShort((short) 0).array());
        int type;
        do {
            ByteBuffer h = c.read(20);
            h.getLong();
            h.getInt();
            type = h.getInt();
            c.read(h.getInt());
        } while (type == NbdWire.REP_INFO);
        assertEquals(NbdWire.REP_ACK, type);
        return c;
    }

    void send(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    void send(byte[] b) throws IOException {
        send(ByteBuffer.wrap(b));
    }

    void option(int option, byte[] data) throws IOException {
        send(ByteBuffer.allocate(16 + data.length).putLong(NbdWire.IHAVEOPT).putInt(option).putInt(data.length)
                .put(data).flip());
    }

    /** Reads option replies up to the final one (anything but REP_INFO, REP_SERVER, REP_META_CONTEXT); its type. */
    int finalOptionReply() throws IOException {
        while (true) {
            ByteBuffer h = read(20);
            assertEquals(NbdWire.OPTION_REPLY_MAGIC, h.getLong());
            h.getInt();
            int type = h.getInt();
            read(h.getInt());
            if (type != NbdWire.REP_INFO && type != NbdWire.REP_SERVER && type != NbdWire.REP_META_CONTEXT) {
                return type;
            }
        }
    }

    void request(int flags, int type, long cookie, long offset, long length) throws IOException {
        send(ByteBuffer.allocate(28).putInt(NbdWire.REQUEST_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(cookie).putLong(offset).putInt((int) length).flip());
    }

    /** A simple reply's error, checking its cookie; a read's data follows it for {@link #read}. */
    int reply(long cookie) throws IOException {
        ByteBuffer r = read(16);
        assertEquals(NbdWire.SIMPLE_REPLY_MAGIC, r.getInt());
        int error = r.getInt();
        assertEquals(cookie, r.getLong());
        return error;
    }

    ByteBuffer read(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new EOFException("server closed the connection");
            }
        }
        return b.flip();
    }

    /** Whether the server closed the connection: EOF, or a reset, once whatever it sent first is read. */
    boolean closedByServer() {
        ByteBuffer b = ByteBuffer.allocate(4096);
        try {
            while (true) {
                b.clear();
                if (channel.read(b) < 0) {
                    return true;
                }
            }
        } catch (IOException e) {
            return true;
        }
    }

    void disconnect() throws IOException {
        request(0, NbdWire.CMD_DISC, 0, 0, 0);
        close();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
