package org.ubdjvm.hostio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One preallocated request of an {@link AsyncEngine}. The engine makes its table of slots once; a request borrows a
 * slot, the slot's index travels through the kernel as the request's user data, and the kernel's answer finds the
 * slot again with no lookup and no allocation.
 *
 * <p>Ownership moves, it is never shared: the submitting thread fills the slot, the kernel owns the transfer, then
 * the reaper thread reads the result and the slot returns to the free list. The volatile {@link #armed} write at the
 * end of {@link #start} and its read in {@link #apply} make that hand-over a happens-before edge in Java's terms too
 * (in practice the syscalls in between already order it).
 */
final class RequestSlot {
    enum Op {
        READ("read"), WRITE("write"), DATASYNC("fdatasync");

        final String verb;

        Op(String verb) {
            this.verb = verb;
        }
    }

    /** Heap buffers bounce through direct memory the kernel can address; the bounce is kept up to this size. */
    static final int RETAINED_BOUNCE = 1 << 20;
    private static final int MIN_BOUNCE = 64 << 10;

    final int index;
    private static final int PAGE = 4096;
    private ByteBuffer bounce;
    private long bounceAddress;

    private Op op;
    private HostFile file;
    private int fd;
    private ByteBuffer buffer;
    private int bufferStart;
    private long position;
    private int length;
    private int done;
    private long address;
    private IoCompletion completion;
    private IOException error;
    /** When the request was handed to this slot (System.nanoTime), for its age in timeouts and dumps. */
    private long startedNanos;
    /** When the engine last sent this request to the kernel, for the stall watch (see AsyncEngine). Engine lock. */
    private long sentNanos;
    /** The engine asked the kernel to cancel this request because it stalled: a cancelled answer means send again. */
    private volatile boolean resendOnCancel;
    /**
     * Set by whoever reports the outcome: the reaper when the kernel answers, or close() when it gives up waiting.
     * Both may try at once after a close timeout; the compare-and-set lets exactly one call the completion.
     */
    private final AtomicBoolean claimed = new AtomicBoolean();
    /** Read as volatile; written with release (see start), since the engine lock orders the hand-over anyway. */
    private volatile boolean armed;
    private static final java.lang.invoke.VarHandle ARMED;

    static {
        try {
            ARMED = java.lang.invoke.MethodHandles.lookup().findVarHandle(RequestSlot.class, "armed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    RequestSlot(int index) {
        this.index = index;
    }

    /**
     * Fills the slot for one request. For a heap buffer the bytes to write are copied to the bounce buffer here, on
     * the caller's thread, so the reaper only ever copies for reads.
     */
    void start(Op op, HostFile file, int fd, ByteBuffer buffer, long position, IoCompletion completion) {
        this.op = op;
        this.file = file;
        this.fd = fd;
        this.buffer = buffer;
        this.position = position;
        this.completion = completion;
        this.done = 0;
        this.error = null;
        this.claimed.lazySet(false); // published with the slot by the engine lock around push; no fence of its own
        this.startedNanos = System.nanoTime();
        this.sentNanos = startedNanos;
        if (resendOnCancel) {
            resendOnCancel = false; // a volatile read costs nothing here; a write per request would
        }
        if (buffer == null) {
            length = 0;
            address = 0;
        } else {
            bufferStart = buffer.position();
            length = buffer.remaining();
            if (buffer.isDirect()) {
                address = LinuxNatives.address(buffer) + bufferStart;
            } else {
                address = bounceFor(length);
                if (op == Op.WRITE) {
                    bounce.put(0, buffer, bufferStart, length);
                }
            }
        }
        ARMED.setRelease(this, true); // as claimed: the engine lock publishes it; a volatile store is a fence per request
    }

    private long bounceFor(int size) {
        if (bounce == null || bounce.capacity() < size) {
            // Grow in powers of two so a slot settles after a few requests; huge one-offs are not kept (see clear()).
            int capacity = Math.max(MIN_BOUNCE, size > (1 << 30) ? size : Integer.highestOneBit(size - 1) << 1);
            // Page-aligned, so heap buffers also work on O_DIRECT files (allocateDirect only aligns to 8 or 16 bytes).
            bounce = ByteBuffer.allocateDirect(capacity + PAGE).alignedSlice(PAGE);
            bounceAddress = LinuxNatives.address(bounce);
        }
        return bounceAddress;
    }

    Op op() {
        return op;
    }

    int fd() {
        return fd;
    }

    /** Where the part not yet transferred starts in memory. */
    long transferAddress() {
        return address + done;
    }

    int transferLength() {
        return length - done;
    }

    long transferOffset() {
        return position + done;
    }

    /**
     * Takes one kernel result (bytes, or -errno) and says whether the request is finished. Not finished means a
     * short transfer that must go to the kernel again for the rest: a read short of end of file (the next read then
     * returns 0 at end of file) or a short write.
     */
    boolean apply(long result) {
        if (!armed) {
            throw new IllegalStateException("completion for idle slot " + index);
        }
        if (result < 0) {
            error = new HostIoException(file.path(), describe() + " failed: " + Errno.describe((int) -result));
            return true;
        }
        if (op == Op.DATASYNC) {
            return true;
        }
        if (result == 0) {
            if (op == Op.WRITE) {
                error = new HostIoException(file.path(), describe() + " failed: the host wrote nothing");
            }
            return true; // a read at end of file
        }
        done += (int) result;
        return done >= length;
    }

    /** What the request was, for messages: {@code read of 4096 bytes at offset 8192}. */
    String describe() {
        return op == Op.DATASYNC ? op.verb : op.verb + " of " + transferLength() + " bytes at offset " + transferOffset();
    }

    HostFile file() {
        return file;
    }

    /**
     * True when the slot carries a request started at least {@code limit} nanoseconds before {@code now} that nobody
     * has reported yet. Read under the engine lock, so the slot cannot be handed to a new request meanwhile.
     */
    boolean overdue(long now, long limit) {
        return armed && !claimed() && now - startedNanos >= limit;
    }

    /**
     * The request for a dump: {@code read of 4096 bytes at offset 8192 of /x/f, 1.250 s in flight}, marked when it
     * was given up on and only waits for the kernel to let go; null for an idle slot. Racy by design (diagnostics).
     */
    String describeInFlight(long now) {
        HostFile f = file;
        if (!armed || f == null) {
            return null;
        }
        return describe() + " of " + f.path() + ", " + seconds(now - startedNanos) + " in flight"
                + (claimed() ? " (given up; the kernel still holds it)" : "");
    }

    /**
     * True, once per stall, when the kernel has held this request unanswered for {@code limit} nanoseconds since it
     * was last sent and nobody has given up on it: the engine then asks the kernel to cancel it, and a cancelled
     * answer means "send it again" ({@link #resendAfterCancel}). Engine lock held.
     */
    boolean stalled(long now, long limit) {
        if (!armed || claimed() || resendOnCancel || now - sentNanos < limit) {
            return false;
        }
        resendOnCancel = true;
        return true;
    }

    /**
     * Whether the answer {@code result} is the kernel letting go of a request the engine cancelled as stalled, which
     * is then to be sent again as it is (nothing of it ran: a cancel only takes a request the kernel had not
     * started). Reap lock held; the engine lock orders it after {@link #stalled}.
     */
    boolean resendAfterCancel(long result) {
        if (!resendOnCancel) {
            return false;
        }
        resendOnCancel = false;
        if (result != -Errno.ECANCELED || claimed()) {
            return false;
        }
        sentNanos = System.nanoTime();
        return true;
    }

    /** Nanoseconds since the request was handed to this slot. */
    long age(long now) {
        return now - startedNanos;
    }

    /** {@code 1.250 s}. */
    static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.3f s", nanos / 1e9);
    }

    IoCompletion completion() {
        return completion;
    }

    IOException error() {
        return error;
    }

    /**
     * The result to report, after the caller's buffer has been brought up to date: heap reads copied back from the
     * bounce buffer, and the buffer's position advanced past the bytes moved, as the sync engine's channel does.
     */
    long finish() {
        if (error != null || buffer == null) {
            return 0;
        }
        if (op == Op.READ && !buffer.isDirect()) {
            buffer.put(bufferStart, bounce, 0, done);
        }
        buffer.position(bufferStart + done);
        return done;
    }

    /** True for the one caller that gets to report this request's outcome. */
    boolean claim() {
        return claimed.compareAndSet(false, true);
    }

    /** Reported already: close() gave up on it, so a late kernel answer is dropped, never sent again. */
    boolean claimed() {
        return claimed.get();
    }

    /** Drops references to the caller's objects so a free slot pins nothing. */
    void clear() {
        ARMED.setRelease(this, false);
        file = null;
        buffer = null;
        completion = null;
        error = null;
        if (bounce != null && bounce.capacity() > RETAINED_BOUNCE) {
            bounce = null;
            bounceAddress = 0;
        }
    }
}
