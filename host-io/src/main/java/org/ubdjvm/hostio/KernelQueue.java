package org.ubdjvm.hostio;

import java.io.IOException;

/**
 * A kernel submission/completion queue as {@link AsyncEngine} drives it: io_uring ({@link IoUring}) or Linux AIO
 * ({@link LinuxAio}). The engine owns slots, back-pressure, threads and close; a queue only turns slots into kernel
 * entries and kernel answers back into (slot, result) pairs.
 *
 * <p>Threads: {@link #push}, {@link #flush}, {@link #cancel}, {@link #describe} and {@link #wake} run under the engine's lock; {@link #reap} and
 * {@link #poll} run under the engine's reap lock (one answer-taker at a time), concurrently with them; {@link #await}
 * runs on the reaper thread without either lock; {@link #close} runs on the reaper thread after its last
 * {@link #reap}, under the lock.
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

    /**
     * True when answers can be taken without blocking ({@link #poll}) and waited for without taking them
     * ({@link #await}): then the thread that submitted takes the answers the kernel gave during the submit itself,
     * and the reaper only waits for the rest. False: only {@link #reap} takes answers.
     */
    default boolean pollable() {
        return false;
    }

    /**
     * Passes on every answer already there, without blocking; returns how many entries it took, wake-ups included
     * (so a wake-up alone also ends a wait). Only when {@link #pollable}.
     */
    default int poll(Answers answers) {
        throw new UnsupportedOperationException(name() + " answers only through reap()");
    }

    /** Blocks until an answer is there, or {@link #wake} is called, without taking it. Only when {@link #pollable}. */
    default void await() throws IOException {
        throw new UnsupportedOperationException(name() + " answers only through reap()");
    }

    /** {@link #await()}, returning after about {@code nanos} at the latest where the kernel can time a wait. */
    default void await(long nanos) throws IOException {
        await();
    }

    /** Makes a blocked {@link #reap} or {@link #await} return soon, with or without answers. */
    void wake();

    /**
     * Asks the kernel to cancel {@code slot}'s request, best effort: its answer (the cancelled result, or the
     * request's own if it was too late) then arrives as usual. Under the engine's lock, like {@link #push}; the
     * engine flushes afterwards.
     */
    void cancel(RequestSlot slot);

    /** The queue's own state for a dump: ring heads and tails as the kernel sees them. Under the engine's lock. */
    String describe();

    /** Syscalls made so far to hand entries to the kernel: tests and benchmarks check batching with it. */
    long submitCalls();

    /** Releases the kernel object and its memory. Nothing may be in flight. */
    void close();
}
