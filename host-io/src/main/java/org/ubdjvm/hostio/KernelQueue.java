package org.ubdjvm.hostio;

import java.io.IOException;

/**
 * A kernel submission/completion queue as {@link AsyncEngine} drives it: io_uring ({@link IoUring}) or Linux AIO
 * ({@link LinuxAio}). The engine owns slots, back-pressure, threads and close; a queue only turns slots into kernel
 * entries and kernel answers back into (slot, result) pairs.
 *
 * <p>Threads: {@link #push}, {@link #flush} and {@link #wake} run under the engine's lock; {@link #reap} runs on the
 * engine's reaper thread only, without the lock, concurrently with them; {@link #close} runs on the reaper thread
 * after its last {@link #reap}, under the lock.
 */
interface KernelQueue {
    /** Receives one kernel answer: the slot's index and bytes transferred or -errno. */
    @FunctionalInterface
    interface Answers {
        void answer(int slot, long result);
    }

    String name();

    /**
     * Queues the kernel entry for the part of {@code slot} not yet transferred, without a syscall. There is always
     * room: a busy slot has at most one entry queued and the queue was made with room for every slot.
     */
    void push(RequestSlot slot);

    /** Hands every entry pushed so far to the kernel, in one syscall when the kernel takes them all. */
    void flush();

    /** Blocks until the kernel answers at least one request, or {@link #wake} is called; passes each answer on. */
    void reap(Answers answers) throws IOException;

    /** Makes a blocked {@link #reap} return soon, with or without answers. */
    void wake();

    /** Syscalls made so far to hand entries to the kernel: tests and benchmarks check batching with it. */
    long submitCalls();

    /** Releases the kernel object and its memory. Nothing may be in flight. */
    void close();
}
