package org.ubdjvm.harness.nbd;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.cow.nbd.NbdWire;

/**
 * The fixed newstyle handshake, server side: the greeting, the client's flags, then options until one enters the
 * transmission phase ({@code NBD_OPT_GO}, {@code NBD_OPT_EXPORT_NAME}) or ends the session. Every option is read
 * whole (it carries its length) and answered, so an unknown or malformed one leaves the framing intact.
 */
final class OptionHaggling {
    /**
     * The longest option data read: a name and its queries fit many times over. A longer option is a hard
     * disconnect, since passing it by would mean reading whatever length a client claims (up to 4 GiB).
     */
    static final int MAX_OPTION_DATA = 64 * 1024;
    private static final int KNOWN_CLIENT_FLAGS = NbdWire.FLAG_C_FIXED_NEWSTYLE | NbdWire.FLAG_C_NO_ZEROES;

    /** What {@link #option} returns for NBD_OPT_ABORT. */
    private static final Session ABORTED = new Session(false, List.of());

    private final WireReader in;
    private final GatheringByteChannel out;
    private final NbdExport export;
    private boolean noZeroes;
    private boolean structured;
    private List<MetaContext> contexts = List.of();

    OptionHaggling(WireReader in, GatheringByteChannel out, NbdExport export) {
        this.in = in;
        this.out = out;
        this.export = export;
    }

    /**
     * Runs the handshake; the session agreed, or null when the client ended it ({@code NBD_OPT_ABORT}, or closing
     * the connection between messages).
     */
    Session run() throws IOException {
        writeFully(ByteBuffer.allocate(18).putLong(NbdWire.NBDMAGIC).putLong(NbdWire.IHAVEOPT)
                .putShort((short) (NbdWire.FLAG_FIXED_NEWSTYLE | NbdWire.FLAG_NO_ZEROES)).flip());
        if (!in.more()) {
            return null;
        }
        int clientFlags = in.readInt();
        if ((clientFlags & ~KNOWN_CLIENT_FLAGS) != 0) {
            throw new NbdProtocolException(String.format("unknown client flags 0x%08x", clientFlags));
        }
        noZeroes = (clientFlags & NbdWire.FLAG_C_NO_ZEROES) != 0;
        while (in.more()) {
            long magic = in.readLong();
            if (magic != NbdWire.IHAVEOPT) {
                throw new NbdProtocolException(String.format("bad option magic 0x%016x", magic));
            }
            int option = in.readInt();
            long length = in.readInt() & 0xffffffffL;
            if (length > MAX_OPTION_DATA) {
                reply(option, NbdWire.REP_ERR_TOO_BIG, "option data of " + length + " bytes is over the limit of "
                        + MAX_OPTION_DATA);
                throw new NbdProtocolException("option " + option + " with " + length + " bytes of data");
            }
            ByteBuffer data = ByteBuffer.wrap(in.readBytes((int) length));
            Session session;
            try {
                session = option(option, data);
            } catch (BufferUnderflowException | MalformedOption e) {
                reply(option, NbdWire.REP_ERR_INVALID, "malformed option data");
                continue;
            }
            if (session != null) {
                return session == ABORTED ? null : session;
            }
        }
        return null;
    }

    /** Answers one option; a session when it ends haggling, else null. */
    private Session option(int option, ByteBuffer data) throws IOException, MalformedOption {
        switch (option) {
            case NbdWire.OPT_EXPORT_NAME -> {
                String name = decode(data, data.remaining());
                if (name == null || !export.answersTo(name)) {
                    throw new NbdProtocolException("NBD_OPT_EXPORT_NAME asks for an unknown export");
                }
                ByteBuffer reply = ByteBuffer.allocate(10 + (noZeroes ? 0 : NbdWire.EXPORT_NAME_ZERO_PAD))
                        .putLong(export.size()).putShort((short) export.transmissionFlags(structured));
                writeFully(reply.position(reply.limit()).flip());
                return new Session(structured, contexts);
            }
            case NbdWire.OPT_ABORT -> {
                try {
                    reply(option, NbdWire.REP_ACK, new byte[0]);
                } catch (IOException e) {
                    // the client may close without waiting for the reply
                }
                return ABORTED;
            }
            case NbdWire.OPT_LIST -> {
                if (data.hasRemaining()) {
                    reply(option, NbdWire.REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
                } else {
                    byte[] name = export.name().getBytes(UTF_8);
                    reply(option, NbdWire.REP_SERVER, ByteBuffer.allocate(4 + name.length).putInt(name.length)
                            .put(name).array());
                    reply(option, NbdWire.REP_ACK, new byte[0]);
                }
                return null;
            }
            case NbdWire.OPT_INFO, NbdWire.OPT_GO -> {
                return infoOrGo(option, data);
            }
            case NbdWire.OPT_STRUCTURED_REPLY -> {
                if (data.hasRemaining()) {
                    reply(option, NbdWire.REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
                } else {
                    structured = true;
                    reply(option, NbdWire.REP_ACK, new byte[0]);
                }
                return null;
            }
            case NbdWire.OPT_LIST_META_CONTEXT, NbdWire.OPT_SET_META_CONTEXT -> {
                metaContext(option, data);
                return null;
            }
            default -> {
                reply(option, NbdWire.REP_ERR_UNSUP, "option " + option + " is not supported");
                return null;
            }
        }
    }

    private Session infoOrGo(int option, ByteBuffer data) throws IOException, MalformedOption {
        long nameLength = data.getInt() & 0xffffffffL;
        if (nameLength > data.remaining() - 2) {
            throw new MalformedOption();
        }
        String name = decode(data, (int) nameLength);
        int count = data.getShort() & 0xffff;
        if (data.remaining() != 2 * count) {
            throw new MalformedOption();
        }
        List<Integer> asked = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            asked.add(data.getShort() & 0xffff);
        }
        if (name == null || !export.answersTo(name)) {
            reply(option, NbdWire.REP_ERR_UNKNOWN, "no export of that name (this server has \"" + export.name()
                    + "\", also reachable as \"\")");
            return null;
        }
        int flags = export.transmissionFlags(structured);
        reply(option, NbdWire.REP_INFO, ByteBuffer.allocate(12).putShort((short) NbdWire.INFO_EXPORT)
                .putLong(export.size()).putShort((short) flags).array());
        if (asked.contains(NbdWire.INFO_NAME)) {
            info(option, NbdWire.INFO_NAME, export.name());
        }
        if (asked.contains(NbdWire.INFO_DESCRIPTION) && !export.description().isEmpty()) {
            info(option, NbdWire.INFO_DESCRIPTION, export.description());
        }
        // sent even when not asked: the minimum is the sector, stricter than the protocol's default of 1
        reply(option, NbdWire.REP_INFO, ByteBuffer.allocate(14).putShort((short) NbdWire.INFO_BLOCK_SIZE)
                .putInt(export.minimumBlock()).putInt(export.preferredBlock()).putInt(NbdExport.MAX_PAYLOAD).array());
        reply(option, NbdWire.REP_ACK, new byte[0]);
        if (option == NbdWire.OPT_INFO) {
            return null;
        }
        return new Session(structured, contexts);
    }

    private void info(int option, int type, String text) throws IOException {
        byte[] b = text.getBytes(UTF_8);
        reply(option, NbdWire.REP_INFO, ByteBuffer.allocate(2 + b.length).putShort((short) type).put(b).array());
    }

    private void metaContext(int option, ByteBuffer data) throws IOException, MalformedOption {
        boolean set = option == NbdWire.OPT_SET_META_CONTEXT;
        if (set) {
            contexts = List.of(); // replaced even when this one fails
        }
        String name = decode(data, string(data));
        long count = data.getInt() & 0xffffffffL;
        List<String> queries = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            String q = decode(data, string(data));
            if (q != null) {
                queries.add(q);
            }
        }
        if (data.hasRemaining()) {
            throw new MalformedOption();
        }
        if (set && !structured) {
            reply(option, NbdWire.REP_ERR_INVALID, "NBD_OPT_SET_META_CONTEXT needs structured replies first");
            return;
        }
        if (name == null || !export.answersTo(name)) {
            reply(option, NbdWire.REP_ERR_UNKNOWN, "no export of that name");
            return;
        }
        List<MetaContext> found = set ? MetaContext.select(queries) : MetaContext.list(queries);
        for (MetaContext c : found) {
            byte[] b = c.contextName.getBytes(UTF_8);
            reply(option, NbdWire.REP_META_CONTEXT, ByteBuffer.allocate(4 + b.length).putInt(set ? c.id : 0).put(b)
                    .array());
        }
        if (set) {
            contexts = List.copyOf(found);
        }
        reply(option, NbdWire.REP_ACK, new byte[0]);
    }

    /** A string's 32-bit length, checked against what is left and the protocol's limit. */
    private static int string(ByteBuffer data) throws MalformedOption {
        long length = data.getInt() & 0xffffffffL;
        if (length > data.remaining() || length > NbdWire.MAX_STRING) {
            throw new MalformedOption();
        }
        return (int) length;
    }

    /** The next {@code length} bytes as UTF-8; null when they are not (such a name matches nothing). */
    private static String decode(ByteBuffer data, int length) {
        ByteBuffer bytes = data.slice().limit(length);
        data.position(data.position() + length);
        try {
            return UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private void reply(int option, int type, String message) throws IOException {
        reply(option, type, message.getBytes(UTF_8));
    }

    private void reply(int option, int type, byte[] data) throws IOException {
        writeFully(ByteBuffer.allocate(20 + data.length).putLong(NbdWire.OPTION_REPLY_MAGIC).putInt(option)
                .putInt(type).putInt(data.length).put(data).flip());
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    /** Option data that does not parse: answered {@code NBD_REP_ERR_INVALID}, haggling goes on. */
    private static final class MalformedOption extends Exception {
        MalformedOption() {
            super(null, null, false, false);
        }
    }
}
