package org.ubdjvm.harness.bench;

import java.io.IOException;
import java.nio.ByteBuffer;

/** What a {@link BenchLoop} drives: a host-io engine on a file, or a whole ubd device. */
interface BenchIo extends AutoCloseable {
    /** Starts one request; {@code done} runs once, on any thread, possibly before this returns. */
    void start(boolean write, long offset, ByteBuffer buffer, BenchSlot done);

    /** Hands what was started to the host in one go; a no-op where starting already did. */
    void submit();

    /** What the host holds now (requests, ring indexes), for the message of a completion that never came. */
    String describeInFlight();

    @Override
    void close() throws IOException;
}
