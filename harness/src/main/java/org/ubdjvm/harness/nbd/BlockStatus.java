package org.ubdjvm.harness.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.nbd.NbdWire;
import org.ubdjvm.driver.UbdDevice;

/**
 * The allocation runs behind one {@code NBD_CMD_BLOCK_STATUS} request, from the sector holding its offset on, and
 * their encoding as one {@code NBD_REPLY_TYPE_BLOCK_STATUS} chunk per selected context.
 *
 * @param offset where the client asked to start (the first extent starts there, even inside a sector)
 * @param runs   consecutive runs covering at least the first byte at {@code offset}
 */
record BlockStatus(long offset, List<Allocation> runs) {
    /**
     * Looks up to {@code maxSpan} bytes and {@code maxRuns} runs past the aligned start: the protocol lets a reply
     * describe less than asked (the client asks again from where it ends), which bounds one request's work.
     */
    static BlockStatus of(UbdDevice device, long offset, long length, int sector, long maxSpan, int maxRuns)
            throws IOException {
        long mask = sector - 1L;
        long from = offset & ~mask;
        long to = Math.min((offset + length + mask) & ~mask, from + maxSpan);
        List<Allocation> runs = new ArrayList<>();
        for (long at = from; at < to && runs.size() < maxRuns; ) {
            Allocation run = device.allocation(at, to - at);
            runs.add(run);
            at = run.end();
        }
        return new BlockStatus(offset, runs);
    }

    /** The reply: one chunk per context, the last marked done; with {@code reqOne}, one extent within the request. */
    ByteBuffer encode(long cookie, List<MetaContext> contexts, boolean reqOne, long requested) {
        List<List<long[]>> all = new ArrayList<>();
        int total = 0;
        for (MetaContext c : contexts) {
            List<long[]> extents = extents(c);
            if (reqOne) {
                long[] first = extents.get(0);
                extents = List.of(new long[] {Math.min(first[0], requested), first[1]});
            }
            all.add(extents);
            total += NbdWire.STRUCTURED_REPLY_HEADER_BYTES + 4 + 8 * extents.size();
        }
        ByteBuffer b = ByteBuffer.allocate(total);
        for (int i = 0; i < contexts.size(); i++) {
            List<long[]> extents = all.get(i);
            int flags = i == contexts.size() - 1 ? NbdWire.REPLY_FLAG_DONE : 0;
            Reply.chunkHeader(b, cookie, flags, NbdWire.REPLY_TYPE_BLOCK_STATUS, 4 + 8 * extents.size());
            b.putInt(contexts.get(i).id);
            for (long[] e : extents) {
                b.putInt((int) e[0]).putInt((int) e[1]);
            }
        }
        return b.flip();
    }

    /** {length, status} pairs from {@link #offset}, neighbours with the same status merged. */
    private List<long[]> extents(MetaContext context) {
        List<long[]> out = new ArrayList<>();
        for (Allocation run : runs) {
            long start = Math.max(run.offset(), offset);
            long length = run.end() - start;
            long status = context.status(run);
            long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last[1] == status) {
                last[0] += length;
            } else {
                out.add(new long[] {length, status});
            }
        }
        return out;
    }
}
