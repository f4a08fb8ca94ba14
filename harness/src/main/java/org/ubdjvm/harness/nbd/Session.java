package org.ubdjvm.harness.nbd;

import java.util.List;

/**
 * What option haggling agreed, for the transmission phase.
 *
 * @param structured      structured replies were negotiated
 * @param contexts        the metadata contexts selected for the export ({@code NBD_CMD_BLOCK_STATUS} needs one)
 * @param blockSizeAgreed the client asked for {@code NBD_INFO_BLOCK_SIZE} with {@code NBD_OPT_GO}, so it promised
 *                        to keep to the sizes; a client that did not may still send unaligned requests
 * @param flags           the transmission flags sent
 */
record Session(boolean structured, List<MetaContext> contexts, boolean blockSizeAgreed, int flags) {
}
