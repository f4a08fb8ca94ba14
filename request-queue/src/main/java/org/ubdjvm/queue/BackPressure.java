package org.ubdjvm.queue;

/** What a submitter meets when the ring is full. */
public enum BackPressure {
    /** Wait for a free slot, like a kernel queue that sleeps the submitter. */
    BLOCK,
    /** Complete the request at once with {@link QueueFullException}. */
    FAIL_FAST
}
