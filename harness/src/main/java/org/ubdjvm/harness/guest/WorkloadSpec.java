package org.ubdjvm.harness.guest;

import java.time.Duration;

/**
 * What the guest does.
 *
 * @param random       random block offsets, else sequential within each thread's region
 * @param readPercent  0..100
 * @param blockSize    bytes per request, a multiple of 512
 * @param queueDepth   requests in flight per submitter thread
 * @param threads      submitter threads (spread over the devices)
 * @param duration     stop after this long...
 * @param maxOps       ...or after this many requests per thread, whichever comes first (0 = no limit)
 * @param flushEvery   a flush after every n writes per thread (0 = never, except the final one)
 * @param verify       write self-describing blocks and check every read against the model
 * @param seed         for the random choices
 */
public record WorkloadSpec(boolean random, int readPercent, int blockSize, int queueDepth, int threads, Duration duration,
                    long maxOps, int flushEvery, boolean verify, long seed) {
    public WorkloadSpec {
        if (blockSize <= 0 || blockSize % VerifiedBlock.SECTOR != 0) {
            throw new IllegalArgumentException("block size must be a positive multiple of 512, not " + blockSize);
        }
        if (readPercent < 0 || readPercent > 100) {
            throw new IllegalArgumentException("read percentage must be 0..100, not " + readPercent);
        }
        if (queueDepth < 1 || threads < 1) {
            throw new IllegalArgumentException("queue depth and threads must be at least 1");
        }
    }
}
