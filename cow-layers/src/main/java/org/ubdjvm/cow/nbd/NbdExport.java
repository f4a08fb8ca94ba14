package org.ubdjvm.cow.nbd;

/**
 * What the handshake agreed on for one export.
 *
 * @param size              the export's size in bytes
 * @param flags             transmission flags ({@code NbdWire.FLAG_*})
 * @param minimumBlock      NBD_INFO_BLOCK_SIZE's minimum (1 when the server sent none)
 * @param preferredBlock    its preferred block size (4096 when none)
 * @param maximumPayload    its maximum payload, at most 32 MiB, the most a client may assume anyway
 * @param structuredReplies NBD_OPT_STRUCTURED_REPLY was agreed
 * @param allocationContext the id of {@code base:allocation} for NBD_CMD_BLOCK_STATUS, or -1 when not selected
 * @param viaGo             entered through NBD_OPT_GO (false: the old NBD_OPT_EXPORT_NAME)
 */
record NbdExport(long size, int flags, int minimumBlock, int preferredBlock, int maximumPayload,
                 boolean structuredReplies, long allocationContext, boolean viaGo) {
    /** The most a client may send or ask for in one request when the server names no maximum. */
    static final int DEFAULT_MAXIMUM_PAYLOAD = 32 << 20;

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    boolean readOnly() {
        return has(NbdWire.FLAG_READ_ONLY);
    }
}
