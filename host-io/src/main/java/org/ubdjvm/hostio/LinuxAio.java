package org.ubdjvm.hostio;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One Linux AIO context ("libaio", without the library) driven with raw syscalls: io_setup, io_submit, io_getevents,
 * io_destroy. Each slot owns one {@code struct iocb} in a preallocated block; {@link #flush} passes the array of
 * queued iocb pointers to one io_submit.
 *
 * <p>Limit users should know: without O_DIRECT the kernel performs buffered reads and writes inside io_submit, so a
 * submit can block on the disk and batching buys fewer syscalls but no overlap. Only FDSYNC is truly asynchronous
 * for buffered files (kernel 4.18 and later).
 */
final class LinuxAio implements KernelQueue {
    static final String NAME = "aio";

    // struct iocb (64 bytes) and struct io_event (32 bytes), x86_64 little endian
    private static final int IOCB_SIZE = 64;
    private static final int IOCB_DATA = 0;
    private static final int IOCB_OPCODE = 16;
    private static final int IOCB_FILDES = 20;
    private static final int IOCB_BUF = 24;
    private static final int IOCB_NBYTES = 32;
    private static final int IOCB_OFFSET = 40;
    private static final int EVENT_SIZE = 32;
    private static final int EVENT_DATA = 0;
    private static final int EVENT_RES = 16;
    private static final short IOCB_CMD_PREAD = 0;
    private static final short IOCB_CMD_PWRITE = 1;
    private static final short IOCB_CMD_FDSYNC = 3;
    /** aio_data of the empty read that wakes the reaper; slot indexes are never negative. */
    private static final long WAKE = -1L;
    // struct aio_ring, which the context id points at in our address space: id, nr, head, tail
    private static final int RING_NR = 4;
    private static final int RING_HEAD = 8;
    private static final int RING_TAIL = 12;

    private final long context;
    private final int slots;
    /** iocbs of the slots, then one more for the wake-up read. */
    private final Memory iocbMemory;
    private final ByteBuffer iocbs;
    private final long iocbBase;
    /** io_submit's argument: pointers to the iocbs queued since the last flush, plus a spare for the wake-up. */
    private final Memory pointers;
    private final Memory events;
    /** Where io_cancel puts the event of a request it cancelled at once (kernels before 4.19 answer that way). */
    private final Memory cancelled = new Memory(EVENT_SIZE);
    private final ByteBuffer eventView;
    private final int maxEvents;
    /** /dev/null: an empty read of it is the cheapest request that completes at once, to wake the reaper. */
    private final int wakeFd;
    private int queued;
    private long submitCalls;

    /**
     * Requests io_submit refused, answered through the reaper like any other so that callbacks always run on the
     * reaper and never under the engine lock. Guarded by itself; rare (a bad descriptor, an unsupported FDSYNC).
     */
    private final long[] refused;
    private int refusedCount;

    private LinuxAio(long context, int slots, int maxEvents, int wakeFd) {
        this.context = context;
        this.slots = slots;
        this.maxEvents = maxEvents;
        this.wakeFd = wakeFd;
        this.iocbMemory = new Memory((long) IOCB_SIZE * (slots + 1));
        this.iocbMemory.clear();
        this.iocbs = iocbMemory.getByteBuffer(0, iocbMemory.size()).order(ByteOrder.nativeOrder());
        this.iocbBase = Pointer.nativeValue(iocbMemory);
        this.pointers = new Memory(8L * (slots + 1));
        this.events = new Memory((long) EVENT_SIZE * maxEvents);
        this.eventView = events.getByteBuffer(0, events.size()).order(ByteOrder.nativeOrder());
        this.refused = new long[2 * slots];
        fill(slots, IOCB_CMD_PREAD, wakeFd, 0, 0, 0, WAKE);
    }

    /**
     * Makes a context for {@code slots} requests in flight.
     *
     * @throws IOException one line naming the call that failed and its errno, e.g. "io_setup: EAGAIN (...)"
     */
    static LinuxAio open(int slots) throws IOException {
        LinuxNatives.requireX86_64(NAME);
        // Room for every slot and for the wake-ups that may be in flight at the same time.
        int maxEvents = 2 * slots + 2;
        Memory ctx = new Memory(8);
        ctx.setLong(0, 0); // io_setup insists on a zeroed aio_context_t
        if (LinuxNatives.syscall(LinuxNatives.SYS_IO_SETUP, maxEvents, Pointer.nativeValue(ctx), 0, 0, 0, 0) < 0) {
            throw EngineUnavailableException.setupFailed("io_setup", LinuxNatives.errno());
        }
        long context = ctx.getLong(0);
        int wakeFd = LinuxNatives.open("/dev/null", LinuxNatives.O_RDONLY | LinuxNatives.O_CLOEXEC, 0);
        if (wakeFd < 0) {
            int errno = LinuxNatives.errno();
            LinuxNatives.syscall(LinuxNatives.SYS_IO_DESTROY, context, 0, 0, 0, 0, 0);
            throw EngineUnavailableException.setupFailed("aio: open /dev/null", errno);
        }
        return new LinuxAio(context, slots, maxEvents, wakeFd);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void push(RequestSlot slot) {
        switch (slot.op()) {
            case READ -> fill(slot.index, IOCB_CMD_PREAD, slot.fd(), slot.transferAddress(), slot.transferLength(),
                    slot.transferOffset(), slot.index);
            case WRITE -> fill(slot.index, IOCB_CMD_PWRITE, slot.fd(), slot.transferAddress(), slot.transferLength(),
                    slot.transferOffset(), slot.index);
            case DATASYNC -> fill(slot.index, IOCB_CMD_FDSYNC, slot.fd(), 0, 0, 0, slot.index);
        }
        pointers.setLong(8L * queued++, iocbBase + (long) IOCB_SIZE * slot.index);
    }

    private void fill(int iocb, short command, int fd, long buffer, long length, long offset, long data) {
        int at = iocb * IOCB_SIZE;
        for (int i = 0; i < IOCB_SIZE; i += 8) {
            iocbs.putLong(at + i, 0L);
        }
        iocbs.putLong(at + IOCB_DATA, data);
        iocbs.putShort(at + IOCB_OPCODE, command);
        iocbs.putInt(at + IOCB_FILDES, fd);
        iocbs.putLong(at + IOCB_BUF, buffer);
        iocbs.putLong(at + IOCB_NBYTES, length);
        iocbs.putLong(at + IOCB_OFFSET, offset);
    }

    @Override
    public void flush() {
        int sent = 0;
        boolean anyRefused = false;
        while (sent < queued) {
            long r = LinuxNatives.syscall(LinuxNatives.SYS_IO_SUBMIT, context, queued - sent,
                    Pointer.nativeValue(pointers) + 8L * sent, 0, 0, 0);
            submitCalls++;
            if (r > 0) {
                sent += (int) r;
                continue;
            }
            int errno = r == 0 ? Errno.EAGAIN : LinuxNatives.errno();
            if (errno == Errno.EINTR) {
                continue;
            }
            // io_submit stops at the first iocb it cannot take and says why only for that one: refuse it, go on.
            int slot = (int) ((pointers.getLong(8L * sent) - iocbBase) / IOCB_SIZE);
            synchronized (refused) {
                refused[2 * refusedCount] = slot;
                refused[2 * refusedCount + 1] = -errno;
                refusedCount++;
            }
            anyRefused = true;
            sent++;
        }
        queued = 0;
        if (anyRefused) {
            wake();
        }
    }

    @Override
    public void reap(Answers answers) throws IOException {
        answerRefused(answers);
        long n = LinuxNatives.syscall(LinuxNatives.SYS_IO_GETEVENTS, context, 1, maxEvents,
                Pointer.nativeValue(events), 0, 0);
        if (n < 0) {
            int errno = LinuxNatives.errno();
            if (errno == Errno.EINTR) {
                return;
            }
            throw LinuxNatives.failure("io_getevents", errno);
        }
        for (int i = 0; i < n; i++) {
            long data = eventView.getLong(i * EVENT_SIZE + EVENT_DATA);
            if (data != WAKE) {
                answers.answer((int) data, eventView.getLong(i * EVENT_SIZE + EVENT_RES));
            }
        }
        answerRefused(answers);
    }

    private void answerRefused(Answers answers) {
        synchronized (refused) {
            for (int i = 0; i < refusedCount; i++) {
                answers.answer((int) refused[2 * i], refused[2 * i + 1]);
            }
            refusedCount = 0;
        }
    }

    @Override
    public void wake() {
        pointers.setLong(8L * slots, iocbBase + (long) IOCB_SIZE * slots);
        // The iocb is copied by the kernel at submit, so the same one may be in flight more than once.
        LinuxNatives.syscall(LinuxNatives.SYS_IO_SUBMIT, context, 1, Pointer.nativeValue(pointers) + 8L * slots, 0, 0, 0);
        submitCalls++;
    }

    /**
     * io_cancel: most buffered requests cannot be cancelled (EINVAL) and newer kernels answer a cancelled one through
     * the ring; an older kernel that hands the event back here gets it answered through the reaper like a refusal.
     */
    @Override
    public void cancel(RequestSlot slot) {
        long r = LinuxNatives.syscall(LinuxNatives.SYS_IO_CANCEL, context, iocbBase + (long) IOCB_SIZE * slot.index,
                Pointer.nativeValue(cancelled), 0, 0, 0);
        if (r == 0) {
            synchronized (refused) {
                refused[2 * refusedCount] = slot.index;
                refused[2 * refusedCount + 1] = cancelled.getLong(EVENT_RES);
                refusedCount++;
            }
            wake();
        }
    }

    /** The completion ring's head and tail, read from the kernel's aio_ring mapped at the context's address. */
    @Override
    public String describe() {
        Pointer ring = new Pointer(context);
        return "completion ring head " + ring.getInt(RING_HEAD) + " tail " + ring.getInt(RING_TAIL) + " of "
                + ring.getInt(RING_NR) + ", " + queued + " queued unsent";
    }

    @Override
    public long submitCalls() {
        return submitCalls;
    }

    @Override
    public void close() {
        LinuxNatives.syscall(LinuxNatives.SYS_IO_DESTROY, context, 0, 0, 0, 0, 0);
        LinuxNatives.close(wakeFd);
    }
}
