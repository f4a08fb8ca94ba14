package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Copies chosen runs of one image's disk to the same offsets of another, asynchronously: pieces of at most
 * {@link #PIECE} bytes (cut at multiples of it, so large runs move in aligned blocks), {@link #IN_FLIGHT} of them at
 * once, each a read then a write. Every request is issued from the calling thread; completions only hand their piece
 * back, so no completion thread ever waits for an engine slot.
 */
final class RunCopy {
    static final int PIECE = 1 << 20;
    static final int IN_FLIGHT = 32;

    /** One piece in flight: its place, its buffer, and the error its last step ended with. */
    private record Piece(long offset, ByteBuffer buffer, boolean written, IOException error) {
    }

    private RunCopy() {
    }

    /** The runs cut into pieces: none longer than {@link #PIECE}, none crossing a multiple of it. */
    static List<Allocation> pieces(List<Allocation> runs) {
        return pieces(runs, PIECE);
    }

    /** The runs cut into pieces of at most {@code piece} bytes (a power of two), none crossing a multiple of it. */
    static List<Allocation> pieces(List<Allocation> runs, long piece) {
        List<Allocation> out = new ArrayList<>();
        for (Allocation run : runs) {
            for (long at = run.offset(); at < run.end(); ) {
                long next = Math.min(run.end(), (at / piece + 1) * piece);
                out.add(new Allocation(at, next - at, run.depth()));
                at = next;
            }
        }
        return out;
    }

    /** Copies every run of {@code runs} from {@code from} to {@code to}; does not flush {@code to}. */
    static void copy(BlockImage from, BlockImage to, List<Allocation> runs, ProgressListener progress) throws IOException {
        copy(from, to, runs, progress, CopyPacer.NONE, PIECE);
    }

    /**
     * As {@link #copy(BlockImage, BlockImage, List, ProgressListener)}, asking {@code pacer} before each piece of at
     * most {@code pieceBytes} (a power of two up to {@link #PIECE}).
     */
    static void copy(BlockImage from, BlockImage to, List<Allocation> runs, ProgressListener progress, CopyPacer pacer,
                     int pieceBytes) throws IOException {
        List<Allocation> pieces = pieces(runs, pieceBytes);
        long total = pieces.stream().mapToLong(Allocation::length).sum();
        Deque<ByteBuffer> free = new ArrayDeque<>();
        for (int i = 0; i < Math.min(IN_FLIGHT, pieces.size()); i++) {
            free.push(ByteBuffer.allocateDirect(pieceBytes));
        }
        LinkedBlockingQueue<Piece> finished = new LinkedBlockingQueue<>();
        int next = 0;
        int inFlight = 0;
        long done = 0;
        long issued = 0;
        IOException failure = null;
        while ((next < pieces.size() && failure == null) || inFlight > 0) {
            long wait = 0;
            from.plug();
            while (next < pieces.size() && failure == null && !free.isEmpty()) {
                try {
                    wait = pacer.delayNanos(issued);
                } catch (IOException stop) {
                    failure = stop;
                    break;
                }
                if (wait > 0) {
                    break; // the pieces started so far go to the host before the wait
                }
                Allocation p = pieces.get(next++);
                issued += p.length();
                ByteBuffer buf = free.pop().clear().limit((int) p.length());
                inFlight++;
                from.read(p.offset(), buf, (n, e) -> finished.add(new Piece(p.offset(), buf, false, e)));
            }
            from.unplug();
            if (inFlight == 0) {
                if (wait > 0 && failure == null) {
                    pause(wait);
                    continue;
                }
                break; // stopped by the pacer with nothing in flight
            }
            Piece piece = take(finished);
            if (piece.error() != null) {
                failure = failure == null ? piece.error() : failure;
            } else if (!piece.written() && failure == null) {
                to.write(piece.offset(), piece.buffer().rewind(),
                        (n, e) -> finished.add(new Piece(piece.offset(), piece.buffer(), true, e)));
                continue;
            } else if (piece.written()) {
                done += piece.buffer().limit();
                progress.update(done, total);
            }
            inFlight--;
            free.push(piece.buffer());
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Waits for the pacer, a little at a time, so a stop asked for meanwhile is heard soon. */
    private static void pause(long nanos) throws IOException {
        try {
            Thread.sleep(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(nanos), 50)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static Piece take(LinkedBlockingQueue<Piece> finished) throws IOException {
        try {
            Piece p = finished.poll(WaitLimit.DEFAULT.timeout().toNanos(), TimeUnit.NANOSECONDS);
            if (p == null) {
                throw new IOException("copy: no read or write completed in "
                        + WaitLimit.DEFAULT.timeout().toSeconds() + " s");
            }
            return p;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
