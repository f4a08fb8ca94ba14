package org.ubdjvm.cow.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * The client side of fixed newstyle negotiation (proto.md "Handshake"): structured replies when offered, the
 * {@code base:allocation} context when structured replies are on, then NBD_OPT_GO asking for NBD_INFO_BLOCK_SIZE,
 * or NBD_OPT_EXPORT_NAME for a server that knows no GO (or speaks plain newstyle). Oldstyle servers are refused.
 * Every failure is an {@link IOException} whose message is the reason, one line.
 */
final class NbdHandshake {
    /** Option replies we accept; a longer one is a broken or hostile server. */
    private static final int MAX_OPTION_REPLY = 64 << 10;
    private static final int OPTION_HEADER_BYTES = 16;
    private static final int OPTION_REPLY_HEADER_BYTES = 20;

    private final ByteChannel ch;
    private final String export;
    private final byte[] exportBytes;

    private NbdHandshake(ByteChannel ch, String export) {
        this.ch = ch;
        this.export = export;
        this.exportBytes = export.getBytes(StandardCharsets.UTF_8);
    }

    static NbdExport negotiate(ByteChannel ch, String export) throws IOException {
        return new NbdHandshake(ch, export).run();
    }

    private NbdExport run() throws IOException {
        ByteBuffer hello = ChannelIo.read(ch, 16);
        long magic = hello.getLong();
        long style = hello.getLong();
        if (magic != NbdWire.NBDMAGIC) {
            throw new IOException("not an NBD server: it began with 0x" + Long.toHexString(magic) + ", not NBDMAGIC");
        }
        if (style == NbdWire.CLISERV_MAGIC) {
            throw new IOException("the server speaks oldstyle negotiation, which is not supported (newstyle only)");
        }
        if (style != NbdWire.IHAVEOPT) {
            throw new IOException("not an NBD server: 0x" + Long.toHexString(style) + " where IHAVEOPT belongs");
        }
        int serverFlags = ChannelIo.read(ch, 2).getShort() & 0xFFFF;
        boolean fixed = (serverFlags & NbdWire.FLAG_FIXED_NEWSTYLE) != 0;
        boolean noZeroes = (serverFlags & NbdWire.FLAG_NO_ZEROES) != 0;
        int clientFlags = (fixed ? NbdWire.FLAG_C_FIXED_NEWSTYLE : 0) | (noZeroes ? NbdWire.FLAG_C_NO_ZEROES : 0);
        ChannelIo.writeFully(ch, ByteBuffer.allocate(4).putInt(clientFlags).flip());
        if (!fixed) {
            return exportName(noZeroes, false, -1); // plain newstyle knows no other option
        }
        boolean structured = simpleOption(NbdWire.OPT_STRUCTURED_REPLY);
        long allocation = structured ? selectAllocationContext() : -1;
        ByteBuffer go = ByteBuffer.allocate(4 + exportBytes.length + 2 + 2);
        go.putInt(exportBytes.length).put(exportBytes).putShort((short) 1).putShort((short) NbdWire.INFO_BLOCK_SIZE);
        sendOption(NbdWire.OPT_GO, go.flip());
        Long size = null;
        int flags = 0;
        int[] blocks = null;
        while (true) {
            OptionReply r = reply(NbdWire.OPT_GO);
            if (r.type == NbdWire.REP_ACK) {
                if (size == null) {
                    throw new IOException("the server accepted NBD_OPT_GO without NBD_INFO_EXPORT (no size)");
                }
                return export(size, flags, blocks, structured, allocation, true);
            }
            if (r.type == NbdWire.REP_ERR_UNSUP) {
                return exportName(noZeroes, structured, allocation); // a server older than NBD_OPT_GO
            }
            if (r.type != NbdWire.REP_INFO) {
                throw r.failure("NBD_OPT_GO");
            }
            int info = r.payload.remaining() >= 2 ? r.payload.getShort() & 0xFFFF : -1;
            if (info == NbdWire.INFO_EXPORT && r.payload.remaining() == 10) {
                size = r.payload.getLong();
                flags = r.payload.getShort() & 0xFFFF;
            } else if (info == NbdWire.INFO_BLOCK_SIZE && r.payload.remaining() == 12) {
                blocks = new int[] {r.payload.getInt(), r.payload.getInt(), r.payload.getInt()};
            } else if (info == NbdWire.INFO_EXPORT || info == NbdWire.INFO_BLOCK_SIZE) {
                throw new IOException("NBD_REP_INFO " + info + " of the wrong length (" + (r.payload.limit()) + ")");
            } // other information we did not ask for is ignored, as the protocol says
        }
    }

    /** NBD_OPT_EXPORT_NAME: the only way in without fixed newstyle or NBD_OPT_GO; no block sizes, no errors. */
    private NbdExport exportName(boolean noZeroes, boolean structured, long allocation) throws IOException {
        sendOption(NbdWire.OPT_EXPORT_NAME, ByteBuffer.wrap(exportBytes));
        ByteBuffer answer;
        try {
            answer = ChannelIo.read(ch, 10);
        } catch (EOFException e) {
            throw new IOException("the server closed the connection after NBD_OPT_EXPORT_NAME (no export named '"
                    + export + "'?)");
        }
        long size = answer.getLong();
        int flags = answer.getShort() & 0xFFFF;
        if (!noZeroes) {
            ChannelIo.skip(ch, NbdWire.EXPORT_NAME_ZERO_PAD);
        }
        return export(size, flags, null, structured, allocation, false);
    }

    private static NbdExport export(long size, int flags, int[] blocks, boolean structured, long allocation,
                                    boolean viaGo) throws IOException {
        if (size < 0) {
            throw new IOException("the export's size " + Long.toUnsignedString(size) + " is past 2^63");
        }
        int min = blocks == null ? 1 : blocks[0];
        int preferred = blocks == null ? 4096 : blocks[1];
        long max = blocks == null ? NbdExport.DEFAULT_MAXIMUM_PAYLOAD : Integer.toUnsignedLong(blocks[2]);
        if (min <= 0 || Integer.bitCount(min) != 1 || min > 65536) {
            throw new IOException("NBD_INFO_BLOCK_SIZE minimum " + Integer.toUnsignedString(min)
                    + " is not a power of 2 up to 65536");
        }
        if (max < Math.max(min, 512)) {
            throw new IOException("NBD_INFO_BLOCK_SIZE maximum payload " + max + " is less than a block");
        }
        int maxPayload = (int) Math.min(max, NbdExport.DEFAULT_MAXIMUM_PAYLOAD);
        return new NbdExport(size, flags, min, preferred, maxPayload, structured, allocation, viaGo);
    }

    /** An option without data: true on NBD_REP_ACK, false when the server does not support it. */
    private boolean simpleOption(int option) throws IOException {
        sendOption(option, ByteBuffer.allocate(0));
        OptionReply r = reply(option);
        if (r.type == NbdWire.REP_ACK) {
            return true;
        }
        if ((r.type & NbdWire.REP_FLAG_ERROR) != 0) {
            return false;
        }
        throw new IOException("unexpected reply type " + r.type + " to option " + option);
    }

    /** NBD_OPT_SET_META_CONTEXT for base:allocation: its id, or -1 when the server has none to give. */
    private long selectAllocationContext() throws IOException {
        byte[] query = NbdWire.CONTEXT_BASE_ALLOCATION.getBytes(StandardCharsets.UTF_8);
        ByteBuffer data = ByteBuffer.allocate(4 + exportBytes.length + 4 + 4 + query.length);
        data.putInt(exportBytes.length).put(exportBytes).putInt(1).putInt(query.length).put(query);
        sendOption(NbdWire.OPT_SET_META_CONTEXT, data.flip());
        long id = -1;
        while (true) {
            OptionReply r = reply(NbdWire.OPT_SET_META_CONTEXT);
            if (r.type == NbdWire.REP_ACK) {
                return id;
            }
            if ((r.type & NbdWire.REP_FLAG_ERROR) != 0) {
                return -1; // the client must disregard any contexts sent before an error
            }
            if (r.type == NbdWire.REP_META_CONTEXT && r.payload.remaining() >= 4) {
                long candidate = Integer.toUnsignedLong(r.payload.getInt());
                String name = StandardCharsets.UTF_8.decode(r.payload).toString();
                if (name.equals(NbdWire.CONTEXT_BASE_ALLOCATION)) {
                    id = candidate;
                }
            }
        }
    }

    private void sendOption(int option, ByteBuffer data) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(OPTION_HEADER_BYTES);
        header.putLong(NbdWire.IHAVEOPT).putInt(option).putInt(data.remaining()).flip();
        ChannelIo.writeFully(ch, header);
        ChannelIo.writeFully(ch, data);
    }

    private OptionReply reply(int option) throws IOException {
        ByteBuffer h = ChannelIo.read(ch, OPTION_REPLY_HEADER_BYTES);
        long magic = h.getLong();
        int replyTo = h.getInt();
        int type = h.getInt();
        long length = Integer.toUnsignedLong(h.getInt());
        if (magic != NbdWire.OPTION_REPLY_MAGIC) {
            throw new IOException("bad option reply magic 0x" + Long.toHexString(magic));
        }
        if (replyTo != option) {
            throw new IOException("a reply to option " + replyTo + " where one to option " + option + " was due");
        }
        if (length > MAX_OPTION_REPLY) {
            throw new IOException("an option reply of " + length + " bytes (more than " + MAX_OPTION_REPLY + ")");
        }
        return new OptionReply(type, ChannelIo.read(ch, (int) length));
    }

    /** One option reply: its type and its data. */
    private record OptionReply(int type, ByteBuffer payload) {
        /** An error reply as the reason for the user, with the server's own message when it sent one. */
        IOException failure(String option) {
            String text = payload.hasRemaining() ? ": " + StandardCharsets.UTF_8.decode(payload).toString().strip() : "";
            String what = switch (type) {
                case NbdWire.REP_ERR_UNKNOWN -> "no such export";
                case NbdWire.REP_ERR_POLICY -> "refused by the server's policy";
                case NbdWire.REP_ERR_TLS_REQD -> "the server requires TLS, which is not supported";
                case NbdWire.REP_ERR_INVALID -> "invalid";
                case NbdWire.REP_ERR_SHUTDOWN -> "the server is shutting down";
                case NbdWire.REP_ERR_PLATFORM -> "not supported on the server's platform";
                case NbdWire.REP_ERR_BLOCK_SIZE_REQD -> "the server requires block sizes";
                case NbdWire.REP_ERR_TOO_BIG -> "too big";
                default -> "reply type 0x" + Integer.toHexString(type);
            };
            return new IOException(option + " failed: " + what + text);
        }
    }
}
