package org.ubdjvm.cow;

/**
 * How far a long job over a disk has got, for a progress bar: called from the job's thread with the bytes done so
 * far and the total (both grow only). The CLI decides whether anything is shown.
 */
@FunctionalInterface
public interface ProgressListener {
    /** Shows nothing. */
    ProgressListener NONE = (done, total) -> { };

    void update(long done, long total);
}
