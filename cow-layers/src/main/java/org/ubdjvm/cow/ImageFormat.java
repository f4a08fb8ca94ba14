package org.ubdjvm.cow;

import java.io.IOException;

/**
 * One image format plug-in: the seed's "ops structure" and qemu's {@code BlockDriver}. Generic code finds formats
 * through {@link FormatTable} and never switches on a format.
 */
public interface ImageFormat {
    /** Name used by {@code -f}/{@code -O} ("raw", "cow"). */
    String name();

    /** Whether the first bytes of a file are this format's. A file this format claims but cannot parse fails in open. */
    boolean probe(ProbeBytes head);

    BlockImage open(OpenSpec spec, FormatTable table) throws IOException;

    void create(CreateSpec spec, FormatTable table) throws IOException;
}
