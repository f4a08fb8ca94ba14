package org.ubdjvm.harness.nbd;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import org.ubdjvm.cow.nbd.NbdWire;

/**
 * One reply as it goes on the wire: {@code head} (headers and small payloads) then {@code data} (a read's bytes, or
 * null). {@code release} runs once it is sent or dropped: it gives back the request's buffer and its in-flight
 * budget.
 */
record Reply(ByteBuffer head, ByteBuffer data, Runnable release) {
    /** Longest error message sent (the protocol allows 4096 bytes; a line is plenty). */
    private static final int MAX_MESSAGE = 512;

    /** A simple reply: {@code error} 0 with {@code data} for a read, or an error without data. */
    static ByteBuffer simple(long cookie, int error) {
        return ByteBuffer.allocate(NbdWire.SIMPLE_REPLY_HEADER_BYTES).putInt(NbdWire.SIMPLE_REPLY_MAGIC)
                .putInt(error).putLong(cookie).flip();
    }

    /** The header of one structured chunk whose payload is {@code length} bytes. */
    static ByteBuffer chunkHeader(ByteBuffer into, long cookie, int flags, int type, int length) {
        return into.putInt(NbdWire.STRUCTURED_REPLY_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(cookie).putInt(length);
    }

    /** The head of a successful structured read: one {@code OFFSET_DATA} chunk, final; the data follows it. */
    static ByteBuffer readData(long cookie, long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(NbdWire.STRUCTURED_REPLY_HEADER_BYTES + 8);
        return chunkHeader(b, cookie, NbdWire.REPLY_FLAG_DONE, NbdWire.REPLY_TYPE_OFFSET_DATA, 8 + length)
                .putLong(offset).flip();
    }

    /** A final {@code NBD_REPLY_TYPE_ERROR} chunk with a message for people. */
    static ByteBuffer structuredError(long cookie, int error, String message) {
        byte[] m = message.getBytes(UTF_8);
        int length = Math.min(m.length, MAX_MESSAGE);
        ByteBuffer b = ByteBuffer.allocate(NbdWire.STRUCTURED_REPLY_HEADER_BYTES + 6 + length);
        return chunkHeader(b, cookie, NbdWire.REPLY_FLAG_DONE, NbdWire.REPLY_TYPE_ERROR, 6 + length)
                .putInt(error).putShort((short) length).put(m, 0, length).flip();
    }

    /** An error as the session's replies must carry it: structured (with the message) when negotiated. */
    static ByteBuffer error(Session session, long cookie, int error, String message) {
        return session.structured() ? structuredError(cookie, error, message) : simple(cookie, error);
    }
}
