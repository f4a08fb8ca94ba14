package org.ubdjvm.cow.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.function.BiFunction;
import java.util.function.LongFunction;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.cow.Zeros;
import org.ubdjvm.hostio.Errno;

/**
 * The server's side of transmission, one message at a time (proto.md "Simple reply message", "Structured reply
 * chunk message"): a read's data goes straight into the caller's buffer, a hole is zero-filled, a block status
 * leaves its first extent in the command, an error is kept for the command to fail with. Anything the protocol
 * forbids is a {@link ProtocolError}: past it the stream cannot be trusted.
 */
final class NbdReplyReader {
    /** A block status reply we accept (the protocol's own bound: 2^20 extents). */
    private static final int MAX_STATUS_REPLY = 4 + 8 * (1 << 20);
    /** Of an error chunk we keep this much (its message); the rest is skipped. */
    private static final int MAX_ERROR_KEPT = 64 << 10;

    private final ReadableByteChannel ch;
    private final NbdExport export;
    private final LongFunction<NbdCommand> inFlight;
    private final BiFunction<NbdCommand, String, ImageException> failure;

    /**
     * @param inFlight the command sent with a cookie, or null
     * @param failure  the error for a command and a reason, naming the export
     */
    NbdReplyReader(ReadableByteChannel ch, NbdExport export, LongFunction<NbdCommand> inFlight,
                   BiFunction<NbdCommand, String, ImageException> failure) {
        this.ch = ch;
        this.export = export;
        this.inFlight = inFlight;
        this.failure = failure;
    }

    /** Reads one message; returns the command it ends (its error, if any, in {@link NbdCommand#error}), or null. */
    NbdCommand next() throws IOException {
        int magic = ChannelIo.read(ch, 4).getInt();
        if (magic == NbdWire.SIMPLE_REPLY_MAGIC) {
            return simpleReply();
        }
        if (magic == NbdWire.STRUCTURED_REPLY_MAGIC) {
            return structuredChunk();
        }
        throw new ProtocolError("bad reply magic 0x" + Integer.toHexString(magic));
    }

    private NbdCommand simpleReply() throws IOException {
        ByteBuffer h = ChannelIo.read(ch, NbdWire.SIMPLE_REPLY_HEADER_BYTES - 4);
        int error = h.getInt();
        NbdCommand c = awaiting(h.getLong());
        if (error == 0 && c.type == NbdWire.CMD_READ) {
            if (export.structuredReplies()) {
                throw new ProtocolError("a simple reply with data to a read, with structured replies on");
            }
            ChannelIo.readFully(ch, c.into.duplicate().limit(c.into.position() + c.length));
        }
        if (error != 0) {
            c.error = serverError(c, error, "");
        }
        return c;
    }

    private NbdCommand structuredChunk() throws IOException {
        ByteBuffer h = ChannelIo.read(ch, NbdWire.STRUCTURED_REPLY_HEADER_BYTES - 4);
        int flags = h.getShort() & 0xFFFF;
        int type = h.getShort() & 0xFFFF;
        NbdCommand c = awaiting(h.getLong());
        long length = Integer.toUnsignedLong(h.getInt());
        if (type == NbdWire.REPLY_TYPE_OFFSET_DATA && c.type == NbdWire.CMD_READ && length > 8) {
            long at = ChannelIo.read(ch, 8).getLong() - c.offset;
            long n = length - 8;
            int from = inside(c, at, n);
            ChannelIo.readFully(ch, c.into.duplicate().limit(from + (int) n).position(from));
        } else if (type == NbdWire.REPLY_TYPE_OFFSET_HOLE && c.type == NbdWire.CMD_READ && length == 12) {
            ByteBuffer hole = ChannelIo.read(ch, 12);
            long at = hole.getLong() - c.offset;
            long n = Integer.toUnsignedLong(hole.getInt());
            int from = inside(c, at, n);
            Zeros.fill(c.into, from, from + (int) n);
        } else if (type == NbdWire.REPLY_TYPE_BLOCK_STATUS && c.type == NbdWire.CMD_BLOCK_STATUS) {
            blockStatus(c, length);
        } else if ((type & NbdWire.REPLY_TYPE_FLAG_ERROR) != 0) {
            errorChunk(c, length);
        } else if (type == NbdWire.REPLY_TYPE_NONE || type > NbdWire.REPLY_TYPE_BLOCK_STATUS_EXT) {
            ChannelIo.skip(ch, length); // none, or a kind we do not know and need not
        } else {
            throw new ProtocolError("reply chunk type " + type + " (" + length + " bytes) to " + c.what);
        }
        return (flags & NbdWire.REPLY_FLAG_DONE) != 0 ? c : null;
    }

    /** Keeps the first extent of our context: we ask with REQ_ONE, so there is one. */
    private void blockStatus(NbdCommand c, long length) throws IOException {
        if (length < 12 || (length - 4) % 8 != 0 || length > MAX_STATUS_REPLY) {
            throw new ProtocolError("a block status chunk of " + length + " bytes");
        }
        ByteBuffer status = ChannelIo.read(ch, (int) length);
        if (Integer.toUnsignedLong(status.getInt()) == export.allocationContext()) {
            c.extentLength = Integer.toUnsignedLong(status.getInt());
            c.extentFlags = status.getInt();
        }
    }

    /** An error chunk: the errno and the server's message; the first one a reply carries is the command's error. */
    private void errorChunk(NbdCommand c, long length) throws IOException {
        if (length < 6) {
            throw new ProtocolError("an error chunk of " + length + " bytes");
        }
        ByteBuffer e = ChannelIo.read(ch, (int) Math.min(length, MAX_ERROR_KEPT));
        ChannelIo.skip(ch, length - e.limit());
        int error = e.getInt();
        int textLength = Math.min(e.getShort() & 0xFFFF, e.remaining());
        String text = StandardCharsets.UTF_8.decode(e.slice(e.position(), textLength)).toString();
        if (c.error == null) {
            c.error = serverError(c, error, text);
        }
    }

    /** Where {@code n} bytes at {@code at} of the command's range go in its buffer; a chunk outside it is refused. */
    private static int inside(NbdCommand c, long at, long n) throws ProtocolError {
        if (at < 0 || n > c.length || at > c.length - n) {
            throw new ProtocolError("a read chunk of " + n + " bytes at offset " + (c.offset + at) + " outside "
                    + c.what);
        }
        return c.into.position() + (int) at;
    }

    private NbdCommand awaiting(long cookie) throws ProtocolError {
        NbdCommand c = inFlight.apply(cookie);
        if (c == null) {
            throw new ProtocolError("a reply with cookie " + cookie + ", which no request in flight has");
        }
        return c;
    }

    private ImageException serverError(NbdCommand c, int error, String text) {
        return failure.apply(c, "the NBD server answered " + Errno.describe(error)
                + (text.isBlank() ? "" : ": " + text.strip()));
    }

    /** The server sent something the protocol forbids. */
    static final class ProtocolError extends IOException {
        ProtocolError(String message) {
            super(message);
        }
    }
}
