package org.ubdjvm.harness.nbd;

import java.util.List;

/**
 * What option haggling agreed, for the transmission phase. Whether the client asked for the block sizes changes
 * nothing here: unaligned reads are served and unaligned writes refused either way (see {@link Transmission}).
 *
 * @param structured structured replies were negotiated
 * @param contexts   the metadata contexts selected for the export ({@code NBD_CMD_BLOCK_STATUS} needs one)
 */
record Session(boolean structured, List<MetaContext> contexts) {
}
