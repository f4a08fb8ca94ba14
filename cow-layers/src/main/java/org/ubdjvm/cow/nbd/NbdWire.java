package org.ubdjvm.cow.nbd;

/**
 * The NBD protocol's wire constants, named as in NetworkBlockDevice/nbd {@code doc/proto.md}
 * (plus qemu's {@code qemu:allocation-depth} context name). Shared by the server (harness) and the
 * client backing layer (cow-layers). All values are big-endian on the wire; names never change once
 * published, new ones may be added.
 */
public final class NbdWire {
    private NbdWire() {
    }

    // ---- magics ----
    /** "NBDMAGIC": first 8 bytes the server sends, old- and newstyle. */
    public static final long NBDMAGIC = 0x4e42444d41474943L;
    /** "IHAVEOPT": newstyle marker from the server, and prefix of every client option. */
    public static final long IHAVEOPT = 0x49484156454F5054L;
    /** Oldstyle negotiation's second magic (cliserv_magic); we never speak oldstyle. */
    public static final long CLISERV_MAGIC = 0x00420281861253L;
    /** Prefix of every option reply from the server. */
    public static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;
    /** NBD_REQUEST_MAGIC: prefix of every transmission-phase request. */
    public static final int REQUEST_MAGIC = 0x25609513;
    /** NBD_SIMPLE_REPLY_MAGIC: prefix of a simple reply. */
    public static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    /** NBD_STRUCTURED_REPLY_MAGIC: prefix of a structured reply chunk. */
    public static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;
    /** NBD_EXTENDED_REQUEST_MAGIC (extended headers; not negotiated by us). */
    public static final int EXTENDED_REQUEST_MAGIC = 0x21e41c71;
    /** NBD_EXTENDED_REPLY_MAGIC (extended headers; not negotiated by us). */
    public static final int EXTENDED_REPLY_MAGIC = 0x6e8a278c;

    // ---- handshake flags (16 bits, server) ----
    /** NBD_FLAG_FIXED_NEWSTYLE: server speaks fixed newstyle. */
    public static final int FLAG_FIXED_NEWSTYLE = 1 << 0;
    /** NBD_FLAG_NO_ZEROES: server may omit the 124 zero bytes after NBD_OPT_EXPORT_NAME. */
    public static final int FLAG_NO_ZEROES = 1 << 1;

    // ---- client flags (32 bits) ----
    /** NBD_FLAG_C_FIXED_NEWSTYLE: client speaks fixed newstyle. */
    public static final int FLAG_C_FIXED_NEWSTYLE = 1 << 0;
    /** NBD_FLAG_C_NO_ZEROES: client wants no 124 zero bytes after NBD_OPT_EXPORT_NAME. */
    public static final int FLAG_C_NO_ZEROES = 1 << 1;

    // ---- transmission flags (16 bits) ----
    /** NBD_FLAG_HAS_FLAGS: always set. */
    public static final int FLAG_HAS_FLAGS = 1 << 0;
    /** NBD_FLAG_READ_ONLY: writes will fail with EPERM. */
    public static final int FLAG_READ_ONLY = 1 << 1;
    /** NBD_FLAG_SEND_FLUSH: NBD_CMD_FLUSH supported. */
    public static final int FLAG_SEND_FLUSH = 1 << 2;
    /** NBD_FLAG_SEND_FUA: NBD_CMD_FLAG_FUA supported. */
    public static final int FLAG_SEND_FUA = 1 << 3;
    /** NBD_FLAG_ROTATIONAL: export behaves like a spinning disk. */
    public static final int FLAG_ROTATIONAL = 1 << 4;
    /** NBD_FLAG_SEND_TRIM: NBD_CMD_TRIM supported. */
    public static final int FLAG_SEND_TRIM = 1 << 5;
    /** NBD_FLAG_SEND_WRITE_ZEROES: NBD_CMD_WRITE_ZEROES and NBD_CMD_FLAG_NO_HOLE supported. */
    public static final int FLAG_SEND_WRITE_ZEROES = 1 << 6;
    /** NBD_FLAG_SEND_DF: NBD_CMD_FLAG_DF supported on structured reads. */
    public static final int FLAG_SEND_DF = 1 << 7;
    /** NBD_FLAG_CAN_MULTI_CONN: flush/FUA on one connection covers all connections. */
    public static final int FLAG_CAN_MULTI_CONN = 1 << 8;
    /** NBD_FLAG_SEND_RESIZE: experimental NBD_CMD_RESIZE supported. */
    public static final int FLAG_SEND_RESIZE = 1 << 9;
    /** NBD_FLAG_SEND_CACHE: NBD_CMD_CACHE understood. */
    public static final int FLAG_SEND_CACHE = 1 << 10;
    /** NBD_FLAG_SEND_FAST_ZERO: NBD_CMD_FLAG_FAST_ZERO supported on WRITE_ZEROES. */
    public static final int FLAG_SEND_FAST_ZERO = 1 << 11;
    /** NBD_FLAG_BLOCK_STATUS_PAYLOAD: experimental extended-headers block-status payload. */
    public static final int FLAG_BLOCK_STATUS_PAYLOAD = 1 << 12;

    // ---- option types ----
    /** NBD_OPT_EXPORT_NAME: choose export and enter transmission; no option reply. */
    public static final int OPT_EXPORT_NAME = 1;
    /** NBD_OPT_ABORT: client ends the negotiation. */
    public static final int OPT_ABORT = 2;
    /** NBD_OPT_LIST: list exports (NBD_REP_SERVER replies). */
    public static final int OPT_LIST = 3;
    /** NBD_OPT_PEEK_EXPORT: withdrawn. */
    public static final int OPT_PEEK_EXPORT = 4;
    /** NBD_OPT_STARTTLS: upgrade to TLS (unsupported here). */
    public static final int OPT_STARTTLS = 5;
    /** NBD_OPT_INFO: describe an export without entering transmission. */
    public static final int OPT_INFO = 6;
    /** NBD_OPT_GO: like INFO, then enter transmission. */
    public static final int OPT_GO = 7;
    /** NBD_OPT_STRUCTURED_REPLY: enable structured replies. */
    public static final int OPT_STRUCTURED_REPLY = 8;
    /** NBD_OPT_LIST_META_CONTEXT: list metadata contexts matching queries. */
    public static final int OPT_LIST_META_CONTEXT = 9;
    /** NBD_OPT_SET_META_CONTEXT: select metadata contexts for NBD_CMD_BLOCK_STATUS. */
    public static final int OPT_SET_META_CONTEXT = 10;
    /** NBD_OPT_EXTENDED_HEADERS: 64-bit headers (experimental). */
    public static final int OPT_EXTENDED_HEADERS = 11;

    // ---- option reply types ----
    /** NBD_REP_ACK: option done. */
    public static final int REP_ACK = 1;
    /** NBD_REP_SERVER: one export description (reply to LIST). */
    public static final int REP_SERVER = 2;
    /** NBD_REP_INFO: one NBD_INFO_* item (reply to INFO/GO). */
    public static final int REP_INFO = 3;
    /** NBD_REP_META_CONTEXT: one metadata context id and name. */
    public static final int REP_META_CONTEXT = 4;
    /** Bit set in every error reply type. */
    public static final int REP_FLAG_ERROR = 1 << 31;
    /** NBD_REP_ERR_UNSUP: option unknown to the server. */
    public static final int REP_ERR_UNSUP = REP_FLAG_ERROR | 1;
    /** NBD_REP_ERR_POLICY: forbidden by policy. */
    public static final int REP_ERR_POLICY = REP_FLAG_ERROR | 2;
    /** NBD_REP_ERR_INVALID: syntactically or semantically invalid option. */
    public static final int REP_ERR_INVALID = REP_FLAG_ERROR | 3;
    /** NBD_REP_ERR_PLATFORM: not supported on this platform. */
    public static final int REP_ERR_PLATFORM = REP_FLAG_ERROR | 4;
    /** NBD_REP_ERR_TLS_REQD: TLS required first. */
    public static final int REP_ERR_TLS_REQD = REP_FLAG_ERROR | 5;
    /** NBD_REP_ERR_UNKNOWN: no such export. */
    public static final int REP_ERR_UNKNOWN = REP_FLAG_ERROR | 6;
    /** NBD_REP_ERR_SHUTDOWN: server shutting down. */
    public static final int REP_ERR_SHUTDOWN = REP_FLAG_ERROR | 7;
    /** NBD_REP_ERR_BLOCK_SIZE_REQD: client must ask for NBD_INFO_BLOCK_SIZE. */
    public static final int REP_ERR_BLOCK_SIZE_REQD = REP_FLAG_ERROR | 8;
    /** NBD_REP_ERR_TOO_BIG: option payload or request too large. */
    public static final int REP_ERR_TOO_BIG = REP_FLAG_ERROR | 9;
    /** NBD_REP_ERR_EXT_HEADER_REQD: extended headers required. */
    public static final int REP_ERR_EXT_HEADER_REQD = REP_FLAG_ERROR | 10;

    // ---- info types (inside NBD_REP_INFO) ----
    /** NBD_INFO_EXPORT: 64-bit size and 16-bit transmission flags. */
    public static final int INFO_EXPORT = 0;
    /** NBD_INFO_NAME: the export's canonical name. */
    public static final int INFO_NAME = 1;
    /** NBD_INFO_DESCRIPTION: human-readable description. */
    public static final int INFO_DESCRIPTION = 2;
    /** NBD_INFO_BLOCK_SIZE: minimum, preferred, maximum block sizes (32 bits each). */
    public static final int INFO_BLOCK_SIZE = 3;

    // ---- request types ----
    /** NBD_CMD_READ. */
    public static final int CMD_READ = 0;
    /** NBD_CMD_WRITE. */
    public static final int CMD_WRITE = 1;
    /** NBD_CMD_DISC: disconnect; no reply. */
    public static final int CMD_DISC = 2;
    /** NBD_CMD_FLUSH. */
    public static final int CMD_FLUSH = 3;
    /** NBD_CMD_TRIM: discard hint. */
    public static final int CMD_TRIM = 4;
    /** NBD_CMD_CACHE: prefetch hint. */
    public static final int CMD_CACHE = 5;
    /** NBD_CMD_WRITE_ZEROES. */
    public static final int CMD_WRITE_ZEROES = 6;
    /** NBD_CMD_BLOCK_STATUS: metadata query over a range. */
    public static final int CMD_BLOCK_STATUS = 7;
    /** NBD_CMD_RESIZE (experimental). */
    public static final int CMD_RESIZE = 8;

    // ---- command flags (16 bits) ----
    /** NBD_CMD_FLAG_FUA: complete only once durable. */
    public static final int CMD_FLAG_FUA = 1 << 0;
    /** NBD_CMD_FLAG_NO_HOLE: WRITE_ZEROES must allocate. */
    public static final int CMD_FLAG_NO_HOLE = 1 << 1;
    /** NBD_CMD_FLAG_DF: do not fragment a structured read reply. */
    public static final int CMD_FLAG_DF = 1 << 2;
    /** NBD_CMD_FLAG_REQ_ONE: BLOCK_STATUS wants one extent per context. */
    public static final int CMD_FLAG_REQ_ONE = 1 << 3;
    /** NBD_CMD_FLAG_FAST_ZERO: fail WRITE_ZEROES with ENOTSUP unless it is fast. */
    public static final int CMD_FLAG_FAST_ZERO = 1 << 4;
    /** NBD_CMD_FLAG_PAYLOAD_LEN (extended headers). */
    public static final int CMD_FLAG_PAYLOAD_LEN = 1 << 5;

    // ---- structured reply flags and types ----
    /** NBD_REPLY_FLAG_DONE: last chunk of this request's reply. */
    public static final int REPLY_FLAG_DONE = 1 << 0;
    /** NBD_REPLY_TYPE_NONE: empty final chunk. */
    public static final int REPLY_TYPE_NONE = 0;
    /** NBD_REPLY_TYPE_OFFSET_DATA: 64-bit offset then data. */
    public static final int REPLY_TYPE_OFFSET_DATA = 1;
    /** NBD_REPLY_TYPE_OFFSET_HOLE: 64-bit offset, 32-bit length of zeroes. */
    public static final int REPLY_TYPE_OFFSET_HOLE = 2;
    /** NBD_REPLY_TYPE_BLOCK_STATUS: context id then (length, flags) pairs. */
    public static final int REPLY_TYPE_BLOCK_STATUS = 5;
    /** NBD_REPLY_TYPE_BLOCK_STATUS_EXT (extended headers). */
    public static final int REPLY_TYPE_BLOCK_STATUS_EXT = 6;
    /** Bit set in every error chunk type. */
    public static final int REPLY_TYPE_FLAG_ERROR = 1 << 15;
    /** NBD_REPLY_TYPE_ERROR: 32-bit error, 16-bit message length, message. */
    public static final int REPLY_TYPE_ERROR = REPLY_TYPE_FLAG_ERROR | 1;
    /** NBD_REPLY_TYPE_ERROR_OFFSET: as ERROR, then the 64-bit offset at fault. */
    public static final int REPLY_TYPE_ERROR_OFFSET = REPLY_TYPE_FLAG_ERROR | 2;

    // ---- error values ----
    /** NBD_EPERM: operation not permitted (write to read-only). */
    public static final int EPERM = 1;
    /** NBD_EIO: input/output error. */
    public static final int EIO = 5;
    /** NBD_ENOMEM: out of memory. */
    public static final int ENOMEM = 12;
    /** NBD_EINVAL: invalid argument (bad flags, alignment, out of range). */
    public static final int EINVAL = 22;
    /** NBD_ENOSPC: no space left (write past the end). */
    public static final int ENOSPC = 28;
    /** NBD_EOVERFLOW: value too large (request longer than the maximum). */
    public static final int EOVERFLOW = 75;
    /** NBD_ENOTSUP: operation not supported (e.g. FAST_ZERO that would be slow). */
    public static final int ENOTSUP = 95;
    /** NBD_ESHUTDOWN: server shutting down. */
    public static final int ESHUTDOWN = 108;

    // ---- metadata contexts ----
    /** base:allocation: bit 0 hole, bit 1 zero. */
    public static final String CONTEXT_BASE_ALLOCATION = "base:allocation";
    /** qemu:allocation-depth: 0 unallocated, 1 top layer, 2 the layer below, ... */
    public static final String CONTEXT_QEMU_ALLOCATION_DEPTH = "qemu:allocation-depth";
    /** NBD_STATE_HOLE (base:allocation): block is not allocated. */
    public static final int STATE_HOLE = 1 << 0;
    /** NBD_STATE_ZERO (base:allocation): block reads as zeroes. */
    public static final int STATE_ZERO = 1 << 1;

    // ---- sizes ----
    /** Zero bytes the server sends after NBD_OPT_EXPORT_NAME unless NO_ZEROES was agreed. */
    public static final int EXPORT_NAME_ZERO_PAD = 124;
    /** Largest string (export name, description, context name) the protocol allows. */
    public static final int MAX_STRING = 4096;
    /** Size of a simple request header: magic, flags, type, cookie, offset, length. */
    public static final int REQUEST_HEADER_BYTES = 28;
    /** Size of a simple reply header: magic, error, cookie. */
    public static final int SIMPLE_REPLY_HEADER_BYTES = 16;
    /** Size of a structured reply chunk header: magic, flags, type, cookie, length. */
    public static final int STRUCTURED_REPLY_HEADER_BYTES = 20;
}
