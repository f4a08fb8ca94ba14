package org.ubdjvm.driver;

import java.util.Locale;

/** Where a background job is: running (copying, then switching the stack), or ended one of three ways. */
public enum JobState {
    RUNNING, COMPLETED, CANCELLED, FAILED;

    /** Whether the job has ended: its outcome is final. */
    public boolean ended() {
        return this != RUNNING;
    }

    /** {@code running}, {@code completed}, ...: as the control socket shows it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
