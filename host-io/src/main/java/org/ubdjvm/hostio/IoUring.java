package org.ubdjvm.hostio;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One io_uring instance driven with raw syscalls: the submission ring, the completion ring and the SQE array are
 * mapped into our memory, requests are written there as 64-byte SQEs, and one {@code io_uring_enter} hands a whole
 * batch to the kernel. Layouts are those of {@code <linux/io_uring.h>}; the kernel keeps them stable.
 *
 * <p>Memory ordering. The rings are shared with the kernel without locks: each side writes one index and reads the
 * other's. Plain field writes to the SQE/CQE bytes are ordered against those indexes with acquire/release accesses
 * through a {@link VarHandle} on the mapped memory, the Java equivalent of liburing's
 * {@code smp_load_acquire}/{@code smp_store_release}; each use below says which kernel access it pairs with.
 */
final class IoUring implements KernelQueue {
    static final String NAME = "io_uring";

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    // struct io_uring_params (120 bytes) and the io_sqring_offsets / io_cqring_offsets inside it
    private static final int PARAMS_SIZE = 120;
    private static final int P_SQ_ENTRIES = 0;
    private static final int P_CQ_ENTRIES = 4;
    private static final int P_FEATURES = 20;
    private static final int SQ_OFF = 40;
    private static final int CQ_OFF = 80;
    private static final int OFF_HEAD = 0;
    private static final int OFF_TAIL = 4;
    private static final int OFF_RING_MASK = 8;
    private static final int SQ_OFF_DROPPED = 20;
    private static final int CQ_OFF_OVERFLOW = 16;
    private static final int SQ_OFF_ARRAY = 24;
    private static final int CQ_OFF_CQES = 20;

    private static final long IORING_OFF_SQ_RING = 0L;
    private static final long IORING_OFF_CQ_RING = 0x8000000L;
    private static final long IORING_OFF_SQES = 0x10000000L;
    private static final int IORING_FEAT_SINGLE_MMAP = 1;
    private static final int IORING_ENTER_GETEVENTS = 1;
    private static final int IORING_ENTER_EXT_ARG = 8;
    /** io_uring_enter takes a struct io_uring_getevents_arg, hence a timeout for GETEVENTS (kernel 5.11). */
    private static final int IORING_FEAT_EXT_ARG = 1 << 8;
    private static final int IORING_REGISTER_PROBE = 8;
    private static final int IO_URING_OP_SUPPORTED = 1;

    private static final int SQE_SIZE = 64;
    private static final int CQE_SIZE = 16;
    private static final byte IORING_OP_NOP = 0;
    private static final byte IORING_OP_FSYNC = 3;
    private static final byte IORING_OP_READ = 22;
    private static final byte IORING_OP_WRITE = 23;
    private static final byte IORING_OP_ASYNC_CANCEL = 14;
    private static final int IORING_FSYNC_DATASYNC = 1;
    /** user_data of the no-op that wakes the reaper; slot indexes are never negative. */
    private static final long WAKE = -1L;
    /** user_data of a cancel request itself: its own answer (0, -ENOENT, -EALREADY) says nothing we act on. */
    private static final long CANCEL = -2L;


    private final int ringFd;
    private final Mapping sqMapping;
    private final Mapping cqMapping; // same as sqMapping with IORING_FEAT_SINGLE_MMAP
    private final Mapping sqeMapping;
    private final ByteBuffer sq;
    private final ByteBuffer cq;
    private final ByteBuffer sqes;
    private final int sqHead;
    private final int sqTail;
    private final int sqMask;
    private final int sqEntries;
    private final int cqHead;
    private final int cqTail;
    private final int sqDropped;
    private final int cqOverflow;
    private final int cqMask;
    private final int cqes;

    /** Our copy of the SQ tail: written under the engine lock only, published to the kernel with a release store. */
    private int sqTailLocal;
    /** Our copy of the CQ head: written only under the engine's reap lock, by whichever thread takes answers. */
    private int cqHeadLocal;
    private long submitCalls;
    /** False only for {@link IoWqKeeper}'s own ring, whose submissions are what keeps a thread. */
    private boolean keepsSubmitters = true;
    private final boolean timedWaits;
    /**
     * The reaper's own struct io_uring_getevents_arg (24 bytes) followed by its struct __kernel_timespec (16 bytes):
     * only the reaper thread waits, so one block serves every wait without allocating.
     */
    private final Memory waitArg = new Memory(40);

    private record Mapping(long address, long length) {
        ByteBuffer buffer() {
            return new Pointer(address).getByteBuffer(0, length).order(ByteOrder.nativeOrder());
        }

        void unmap() {
            LinuxNatives.munmap(address, length);
        }
    }

    private IoUring(int ringFd, Mapping sqMapping, Mapping cqMapping, Mapping sqeMapping, Memory params) {
        this.ringFd = ringFd;
        this.sqMapping = sqMapping;
        this.cqMapping = cqMapping;
        this.sqeMapping = sqeMapping;
        this.sq = sqMapping.buffer();
        this.cq = cqMapping.buffer();
        this.sqes = sqeMapping.buffer();
        this.sqHead = params.getInt(SQ_OFF + OFF_HEAD);
        this.sqTail = params.getInt(SQ_OFF + OFF_TAIL);
        this.sqMask = sq.getInt(params.getInt(SQ_OFF + OFF_RING_MASK));
        this.sqEntries = params.getInt(P_SQ_ENTRIES);
        this.cqHead = params.getInt(CQ_OFF + OFF_HEAD);
        this.cqTail = params.getInt(CQ_OFF + OFF_TAIL);
        this.cqMask = cq.getInt(params.getInt(CQ_OFF + OFF_RING_MASK));
        this.sqDropped = params.getInt(SQ_OFF + SQ_OFF_DROPPED);
        this.cqOverflow = params.getInt(CQ_OFF + CQ_OFF_OVERFLOW);
        this.cqes = params.getInt(CQ_OFF + CQ_OFF_CQES);
        this.timedWaits = (params.getInt(P_FEATURES) & IORING_FEAT_EXT_ARG) != 0;
        waitArg.clear();
        waitArg.setLong(16, Pointer.nativeValue(waitArg) + 24); // ts: the timespec right behind the argument
        // SQ slot i always holds SQE i: the indirection array is set once, like liburing does. These plain stores
        // reach the kernel before it reads them because the first tail update is a release store.
        int array = params.getInt(SQ_OFF + SQ_OFF_ARRAY);
        for (int i = 0; i < sqEntries; i++) {
            sq.putInt(array + 4 * i, i);
        }
        this.sqTailLocal = (int) INT.getAcquire(sq, sqTail);
        this.cqHeadLocal = (int) INT.getAcquire(cq, cqHead);
    }

    /**
     * Sets up a ring with at least {@code entries} submission entries (the kernel rounds up to a power of two; the
     * completion ring is twice as large, so completions can never overflow while at most {@code entries} requests
     * and one wake-up are in flight).
     *
     * @throws IOException one line naming the call that failed and its errno, e.g. "io_uring_setup: ENOSYS (...)"
     */
    static IoUring open(int entries) throws IOException {
        LinuxNatives.requireX86_64(NAME);
        Memory params = new Memory(PARAMS_SIZE);
        params.clear();
        long fd = LinuxNatives.syscall(LinuxNatives.SYS_IO_URING_SETUP, entries, Pointer.nativeValue(params), 0, 0, 0, 0);
        if (fd < 0) {
            throw EngineUnavailableException.setupFailed("io_uring_setup", LinuxNatives.errno());
        }
        int ringFd = (int) fd;
        Mapping sqMap = null;
        Mapping cqMap = null;
        Mapping sqeMap = null;
        try {
            int sqEntries = params.getInt(P_SQ_ENTRIES);
            int cqEntries = params.getInt(P_CQ_ENTRIES);
            long sqSize = params.getInt(SQ_OFF + SQ_OFF_ARRAY) + 4L * sqEntries;
            long cqSize = params.getInt(CQ_OFF + CQ_OFF_CQES) + (long) CQE_SIZE * cqEntries;
            if ((params.getInt(P_FEATURES) & IORING_FEAT_SINGLE_MMAP) != 0) {
                // Kernels since 5.4 place both rings in one mapping; map it once, large enough for either.
                sqMap = map(ringFd, Math.max(sqSize, cqSize), IORING_OFF_SQ_RING, "SQ/CQ rings");
                cqMap = sqMap;
            } else {
                sqMap = map(ringFd, sqSize, IORING_OFF_SQ_RING, "SQ ring");
                cqMap = map(ringFd, cqSize, IORING_OFF_CQ_RING, "CQ ring");
            }
            sqeMap = map(ringFd, (long) SQE_SIZE * sqEntries, IORING_OFF_SQES, "SQE array");
            requireOps(ringFd);
            return new IoUring(ringFd, sqMap, cqMap, sqeMap, params);
        } catch (IOException | RuntimeException e) {
            if (sqeMap != null) {
                sqeMap.unmap();
            }
            if (cqMap != null && cqMap != sqMap) {
                cqMap.unmap();
            }
            if (sqMap != null) {
                sqMap.unmap();
            }
            LinuxNatives.close(ringFd);
            throw e;
        }
    }

    /** {@link IoWqKeeper}'s ring: one entry, never closed, submitting to it keeps nobody (it is the keeper). */
    static IoUring openKeeper() throws IOException {
        IoUring keeper = open(1);
        keeper.keepsSubmitters = false;
        return keeper;
    }

    /**
     * One NOP submitted by the calling thread, which gives that thread a node for this ring in its io_uring task
     * context; its answer is taken at once, so the one-entry completion ring never fills. Caller serialises.
     */
    void nopFromThisThread() throws IOException {
        int at = claimSqe();
        sqes.put(at, IORING_OP_NOP);
        sqes.putLong(at + 32, WAKE);
        publishSqe();
        flush();
        // A NOP is answered inside the submit; the bounded waits are for form's sake.
        for (int i = 0; i < 3 && poll((slot, result) -> { }) == 0; i++) {
            await(1_000_000_000L);
        }
    }

    private static Mapping map(int ringFd, long length, long offset, String what) throws IOException {
        long address = LinuxNatives.mmap(0, length, LinuxNatives.PROT_READ | LinuxNatives.PROT_WRITE,
                LinuxNatives.MAP_SHARED | LinuxNatives.MAP_POPULATE, ringFd, offset);
        if (address == LinuxNatives.MAP_FAILED) {
            throw EngineUnavailableException.setupFailed("io_uring mmap of the " + what, LinuxNatives.errno());
        }
        return new Mapping(address, length);
    }

    /** IORING_OP_READ/WRITE arrived in 5.6, together with the probe; an older ring is refused here, not mid-run. */
    private static void requireOps(int ringFd) throws IOException {
        int ops = 256;
        Memory probe = new Memory(16 + 8L * ops); // struct io_uring_probe + io_uring_probe_op[256]
        probe.clear();
        long r = LinuxNatives.syscall(LinuxNatives.SYS_IO_URING_REGISTER, ringFd, IORING_REGISTER_PROBE,
                Pointer.nativeValue(probe), ops, 0, 0);
        if (r < 0) {
            int errno = LinuxNatives.errno();
            if (errno == Errno.EINVAL) {
                throw new EngineUnavailableException("io_uring_register(PROBE): " + Errno.describe(errno)
                        + " (kernel older than 5.6)", EngineUnavailableException.Reason.UNSUPPORTED);
            }
            throw EngineUnavailableException.setupFailed("io_uring_register(PROBE)", errno);
        }
        int lastOp = probe.getByte(0) & 0xff;
        for (byte op : new byte[] {IORING_OP_NOP, IORING_OP_FSYNC, IORING_OP_READ, IORING_OP_WRITE}) {
            short flags = probe.getShort(16 + 8L * op + 2);
            if (op > lastOp || (flags & IO_URING_OP_SUPPORTED) == 0) {
                throw new EngineUnavailableException("io_uring: kernel does not support opcode " + op,
                        EngineUnavailableException.Reason.UNSUPPORTED);
            }
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The ring's descriptor, for tests that register settings on it (io-wq CPU affinity). */
    int fd() {
        return ringFd;
    }

    @Override
    public void push(RequestSlot slot) {
        int at = claimSqe();
        switch (slot.op()) {
            case READ, WRITE -> {
                sqes.put(at, slot.op() == RequestSlot.Op.READ ? IORING_OP_READ : IORING_OP_WRITE);
                sqes.putInt(at + 4, slot.fd());
                sqes.putLong(at + 8, slot.transferOffset());
                sqes.putLong(at + 16, slot.transferAddress());
                sqes.putInt(at + 24, slot.transferLength());
            }
            case DATASYNC -> {
                sqes.put(at, IORING_OP_FSYNC);
                sqes.putInt(at + 4, slot.fd());
                sqes.putInt(at + 28, IORING_FSYNC_DATASYNC);
            }
        }
        sqes.putLong(at + 32, slot.index);
        publishSqe();
    }

    /** Zeroes the next free SQE and returns its byte offset. */
    private int claimSqe() {
        // Acquire pairs with the kernel's release store of the SQ head after it has read the SQEs it consumed: only
        // then may we overwrite them. The engine never lets more entries wait than the ring holds; check anyway.
        int head = (int) INT.getAcquire(sq, sqHead);
        if (sqTailLocal - head >= sqEntries) {
            throw new IllegalStateException("io_uring submission ring full: more requests in flight than slots");
        }
        int at = (sqTailLocal & sqMask) * SQE_SIZE;
        for (int i = 0; i < SQE_SIZE; i += 8) {
            sqes.putLong(at + i, 0L);
        }
        return at;
    }

    private void publishSqe() {
        sqTailLocal++;
        // Release: every byte of the SQE written above is visible before the kernel, which loads the tail with
        // acquire inside io_uring_enter, can see the new tail and read the entry.
        INT.setRelease(sq, sqTail, sqTailLocal);
    }

    @Override
    public void flush() {
        int pending = sqTailLocal - (int) INT.getAcquire(sq, sqHead);
        if (pending > 0 && keepsSubmitters) {
            IoWqKeeper.keepCurrentThread(); // before this thread can first hand a request to io-wq: see IoWqKeeper
        }
        int retries = 0;
        while (pending > 0) {
            long r = LinuxNatives.syscall(LinuxNatives.SYS_IO_URING_ENTER, ringFd, pending, 0, 0, 0, 0);
            submitCalls++;
            if (r > 0) {
                // Fewer than asked only when an entry failed to prepare (its error arrives as a CQE); go on with
                // the rest.
                pending -= (int) r;
                continue;
            }
            int errno = r == 0 ? Errno.EAGAIN : LinuxNatives.errno();
            if (errno != Errno.EINTR && errno != Errno.EAGAIN && errno != Errno.EBUSY || ++retries > 1000) {
                throw new IllegalStateException("io_uring_enter(submit " + pending + "): " + Errno.describe(errno));
            }
            Thread.yield(); // EAGAIN/EBUSY: the kernel is short of request memory for a moment
        }
    }

    @Override
    public boolean pollable() {
        return true;
    }

    @Override
    public int poll(Answers answers) {
        // Acquire pairs with the kernel's release store of the CQ tail after it wrote the CQEs: their contents are
        // visible before we read them.
        int tail = (int) INT.getAcquire(cq, cqTail);
        if (tail == cqHeadLocal) {
            return 0;
        }
        int n = tail - cqHeadLocal;
        for (; cqHeadLocal != tail; cqHeadLocal++) {
            int at = cqes + (cqHeadLocal & cqMask) * CQE_SIZE;
            long userData = cq.getLong(at);
            int result = cq.getInt(at + 8);
            if (userData >= 0) { // not a wake-up nor a cancel's own answer
                answers.answer((int) userData, result);
            }
        }
        // Release: our reads of those CQEs complete before the kernel sees the head move and reuses them.
        INT.setRelease(cq, cqHead, cqHeadLocal);
        return n;
    }

    @Override
    public void await() throws IOException {
        await(0);
    }

    /** Waits at most {@code nanos} where the kernel takes a timeout (5.11 and later); 0 or an older kernel: no limit. */
    @Override
    public void await(long nanos) throws IOException {
        // Compares the kernel's own head and tail: cqHeadLocal belongs to whoever holds the reap lock.
        if ((int) INT.getAcquire(cq, cqTail) != (int) INT.getAcquire(cq, cqHead)) {
            return;
        }
        long r;
        if (nanos > 0 && timedWaits) {
            waitArg.setLong(24, nanos / 1_000_000_000L);
            waitArg.setLong(32, nanos % 1_000_000_000L);
            r = LinuxNatives.syscall(LinuxNatives.SYS_IO_URING_ENTER, ringFd, 0, 1,
                    IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, Pointer.nativeValue(waitArg), 24);
        } else {
            r = LinuxNatives.syscall(LinuxNatives.SYS_IO_URING_ENTER, ringFd, 0, 1, IORING_ENTER_GETEVENTS, 0, 0);
        }
        if (r < 0) {
            int errno = LinuxNatives.errno();
            if (errno != Errno.EINTR && errno != Errno.EAGAIN && errno != Errno.EBUSY && errno != Errno.ETIME) {
                throw LinuxNatives.failure("io_uring_enter(GETEVENTS)", errno);
            }
        }
    }

    @Override
    public void reap(Answers answers) throws IOException {
        while (poll(answers) == 0) {
            await();
        }
    }

    @Override
    public void wake() {
        if (sqTailLocal - (int) INT.getAcquire(sq, sqHead) >= sqEntries) {
            return; // full of requests, each of which will wake the reaper when it completes
        }
        int at = claimSqe();
        sqes.put(at, IORING_OP_NOP);
        sqes.putLong(at + 32, WAKE);
        publishSqe();
        flush();
    }

    /** An ASYNC_CANCEL entry naming the slot's user data; made room for if the ring is full of unsent entries. */
    @Override
    public void cancel(RequestSlot slot) {
        if (sqTailLocal - (int) INT.getAcquire(sq, sqHead) >= sqEntries) {
            flush();
        }
        int at = claimSqe();
        sqes.put(at, IORING_OP_ASYNC_CANCEL);
        sqes.putInt(at + 4, -1);
        sqes.putLong(at + 16, slot.index);
        sqes.putLong(at + 32, CANCEL);
        publishSqe();
    }

    /** The four indexes as the kernel sees them (what /proc/PID/fdinfo shows), and its dropped/overflow counts. */
    @Override
    public String describe() {
        return "SQ head " + (int) INT.getAcquire(sq, sqHead) + " tail " + (int) INT.getAcquire(sq, sqTail)
                + " dropped " + (int) INT.getAcquire(sq, sqDropped) + ", CQ head " + (int) INT.getAcquire(cq, cqHead)
                + " tail " + (int) INT.getAcquire(cq, cqTail) + " overflow " + (int) INT.getAcquire(cq, cqOverflow);
    }

    @Override
    public long submitCalls() {
        return submitCalls;
    }

    @Override
    public void close() {
        sqeMapping.unmap();
        if (cqMapping != sqMapping) {
            cqMapping.unmap();
        }
        sqMapping.unmap();
        LinuxNatives.close(ringFd);
    }
}
