package org.ubdjvm.cow.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/** Whole-buffer reads and writes on a blocking channel: the server either sends all of a message or is gone. */
final class ChannelIo {
    private ChannelIo() {
    }

    /** Fills {@code buf} from position to limit; the server closing the connection first is an EOFException. */
    static void readFully(ReadableByteChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new EOFException("the server closed the connection");
            }
        }
    }

    /** A new big-endian buffer of {@code n} bytes read from {@code ch}, flipped for reading. */
    static ByteBuffer read(ReadableByteChannel ch, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        readFully(ch, buf);
        return buf.flip();
    }

    /** Reads and drops {@code n} bytes. */
    static void skip(ReadableByteChannel ch, long n) throws IOException {
        ByteBuffer scratch = ByteBuffer.allocate((int) Math.min(n, 64 << 10));
        for (long left = n; left > 0; left -= scratch.capacity()) {
            scratch.clear().limit((int) Math.min(left, scratch.capacity()));
            readFully(ch, scratch);
        }
    }

    static void writeFully(WritableByteChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
