package org.ubdjvm.cow;

/** Told how far a long copy has come (a progress bar); called on the copying thread. */
@FunctionalInterface
public interface CopyProgress {
    CopyProgress NONE = (done, total) -> { };

    /** {@code done} of {@code total} bytes copied. */
    void copied(long done, long total);
}
