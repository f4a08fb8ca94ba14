package org.ubdjvm.driver;

/**
 * How far a background job has got.
 *
 * @param bytesDone      bytes copied so far
 * @param bytesTotal     bytes the job copies in all, known when it starts (the merged layers do not change under it)
 * @param bytesPerSecond bytes copied a second on average since the copy began
 * @param state          where it is
 */
public record JobProgress(long bytesDone, long bytesTotal, long bytesPerSecond, JobState state) {
}
