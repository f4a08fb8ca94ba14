package org.ubdjvm.harness.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * What the client sends, read through one buffer: a pipelining client's headers arrive many per system call, and
 * each is parsed from memory. Big-endian, as everything on the NBD wire.
 */
final class WireReader {
    private static final int BUFFER = 16 * 1024;

    private final ReadableByteChannel channel;
    /** Between reads: position..limit holds bytes received and not yet consumed. */
    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER).flip();

    WireReader(ReadableByteChannel channel) {
        this.channel = channel;
    }

    /** Makes {@code n} (at most the buffer's size) bytes available; EOF before that is an {@link EOFException}. */
    private void require(int n) throws IOException {
        if (in.remaining() >= n) {
            return;
        }
        in.compact();
        try {
            while (in.position() < n) {
                if (channel.read(in) < 0) {
                    throw new EOFException("client closed the connection");
                }
            }
        } finally {
            in.flip();
        }
    }

    /** Whether another message follows: false when the client closed the connection between messages. */
    boolean more() throws IOException {
        if (in.hasRemaining()) {
            return true;
        }
        in.clear();
        try {
            return channel.read(in) >= 0;
        } finally {
            in.flip();
        }
    }

    int readShort() throws IOException {
        require(2);
        return in.getShort() & 0xffff;
    }

    int readInt() throws IOException {
        require(4);
        return in.getInt();
    }

    long readLong() throws IOException {
        require(8);
        return in.getLong();
    }

    /** Fills {@code dst} from position to limit: first from what is buffered, then straight from the channel. */
    void readFully(ByteBuffer dst) throws IOException {
        int buffered = Math.min(in.remaining(), dst.remaining());
        if (buffered > 0) {
            ByteBuffer part = in.duplicate();
            part.limit(part.position() + buffered);
            dst.put(part);
            in.position(in.position() + buffered);
        }
        while (dst.hasRemaining()) {
            if (channel.read(dst) < 0) {
                throw new EOFException("client closed the connection in the middle of a message");
            }
        }
    }

    byte[] readBytes(int n) throws IOException {
        byte[] b = new byte[n];
        readFully(ByteBuffer.wrap(b));
        return b;
    }

    /** Reads and drops {@code n} bytes (an option this server does not know, whose data it must pass by). */
    void skip(long n) throws IOException {
        long left = n;
        while (left > 0) {
            require(1);
            int step = (int) Math.min(left, in.remaining());
            in.position(in.position() + step);
            left -= step;
        }
    }
}
