package org.ubdjvm.cow.tool;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.ProgressListener;

/**
 * {@code ubd compare}: qemu-img compare over any two disks. Runs that neither disk holds in any layer read as zeros
 * on both sides and are not read; a run one side does not hold is read from the other side only. Past the smaller
 * disk the larger must read zeros (unless strict, where different sizes differ).
 */
public final class ImageCompare {
    /** qemu-img reports the first differing 512-byte block, whatever the images' sector sizes. */
    public static final int REPORT_BLOCK = 512;
    private static final int CHUNK = 1 << 20;

    private ImageCompare() {
    }

    /**
     * @param strict also differ on size, and on a run held by different layer depths (qemu's "block status")
     */
    public static Comparison compare(BlockImage a, BlockImage b, boolean strict, ProgressListener progress)
            throws IOException {
        long capA = a.capacity();
        long capB = b.capacity();
        boolean sizesDiffer = capA != capB;
        if (strict && sizesDiffer) {
            return new Comparison(Comparison.Verdict.SIZE_MISMATCH, 0, true);
        }
        long common = Math.min(capA, capB);
        long total = Math.max(capA, capB);
        for (long at = 0; at < common; ) {
            int length = (int) Math.min(CHUNK, common - at);
            Span sa = Span.at(a, at, length);
            Span sb = Span.at(b, at, length);
            int n = (int) (Math.min(sa.end(), sb.end()) - at);
            if (strict && sa.depth() != sb.depth()) {
                return new Comparison(Comparison.Verdict.ALLOCATION_MISMATCH, at, false);
            }
            if (!(sa.zeros() && sb.zeros())) {
                int diff = firstDifference(sa.zeros() ? null : read(a, at, n), sb.zeros() ? null : read(b, at, n));
                if (diff >= 0) {
                    return mismatch(at + diff, sizesDiffer);
                }
            }
            at += n;
            progress.update(at, total);
        }
        BlockImage larger = capA > capB ? a : b;
        for (long at = common; at < total; ) {
            Span s = Span.at(larger, at, (int) Math.min(CHUNK, total - at));
            int n = (int) (s.end() - at);
            if (!s.zeros()) {
                int diff = firstDifference(read(larger, at, n), null);
                if (diff >= 0) {
                    return mismatch(at + diff, true);
                }
            }
            at += n;
            progress.update(at, total);
        }
        return new Comparison(Comparison.Verdict.IDENTICAL, 0, sizesDiffer);
    }

    private static Comparison mismatch(long offset, boolean sizesDiffer) {
        return new Comparison(Comparison.Verdict.CONTENT_MISMATCH, offset / REPORT_BLOCK * REPORT_BLOCK, sizesDiffer);
    }

    /** Index of the first byte where the two differ (null reads as zeros), or -1. */
    private static int firstDifference(ByteBuffer x, ByteBuffer y) {
        ByteBuffer other = y != null ? y : ByteBuffer.allocate(x != null ? x.remaining() : 0);
        if (x == null) {
            x = ByteBuffer.allocate(other.remaining());
        }
        int at = x.mismatch(other);
        return at >= Math.min(x.remaining(), other.remaining()) ? -1 : at;
    }

    /** {@code length} bytes at {@code offset}, read in whole sectors of {@code image}. */
    private static ByteBuffer read(BlockImage image, long offset, int length) throws CompareFailure {
        long ss = image.sectorSize();
        long from = offset / ss * ss;
        long to = (offset + length + ss - 1) / ss * ss;
        ByteBuffer buf = ByteBuffer.allocate((int) (to - from));
        try {
            BlockIo.read(image, from, buf);
        } catch (IOException e) {
            throw new CompareFailure(CompareFailure.Step.READ, e);
        }
        return buf.position((int) (offset - from)).limit((int) (offset - from) + length).slice();
    }

    /** What the allocation query says from an offset on: the depth, and where that answer ends. */
    private record Span(int depth, long end) {
        boolean zeros() {
            return depth == Allocation.ZEROS;
        }

        static Span at(BlockImage image, long offset, int length) throws CompareFailure {
            long ss = image.sectorSize();
            long from = offset / ss * ss;
            long to = (offset + length + ss - 1) / ss * ss;
            try {
                Allocation run = image.allocation(from, to - from);
                return new Span(run.depth(), Math.min(run.end(), offset + length));
            } catch (IOException e) {
                throw new CompareFailure(CompareFailure.Step.ALLOCATION, e);
            }
        }
    }
}
