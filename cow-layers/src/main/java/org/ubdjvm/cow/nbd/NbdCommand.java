package org.ubdjvm.cow.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.ubdjvm.hostio.IoCompletion;

/**
 * One request on the wire and what its reply brought: made by the image, sent by the connection's writer, answered
 * on its reader thread. A read's reply is copied straight into {@code into}; a block status reply leaves its first
 * extent here.
 */
final class NbdCommand {
    final int type;
    final int flags;
    final long offset;
    final int length;
    /** A write's data, position to limit; null for other commands. */
    final ByteBuffer payload;
    /** Where a read's bytes go: {@code length} bytes from its position; null for other commands. */
    final ByteBuffer into;
    final IoCompletion done;
    /** "read of 4096 bytes at offset 8192": what the error message says failed. */
    final String what;
    long cookie;
    long sentNanos;
    /** The first error a reply chunk reported; the command fails with it once the reply is done. */
    IOException error;
    long extentLength;
    int extentFlags;

    NbdCommand(int type, int flags, long offset, int length, ByteBuffer payload, ByteBuffer into, IoCompletion done,
               String what) {
        this.type = type;
        this.flags = flags;
        this.offset = offset;
        this.length = length;
        this.payload = payload;
        this.into = into;
        this.done = done;
        this.what = what;
    }

    /** The 28-byte request header (proto.md "Request message"). */
    ByteBuffer header() {
        ByteBuffer h = ByteBuffer.allocate(NbdWire.REQUEST_HEADER_BYTES);
        h.putInt(NbdWire.REQUEST_MAGIC).putShort((short) flags).putShort((short) type).putLong(cookie)
                .putLong(offset).putInt(length);
        return h.flip();
    }
}
