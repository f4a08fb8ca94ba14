package org.ubdjvm.driver;

/**
 * How a background job ended, or {@link JobState#RUNNING} when a wait for it ran out first.
 *
 * @param state  completed, cancelled, failed, or still running
 * @param reason one line: why it failed or what the wait found; empty when completed
 */
public record JobOutcome(JobState state, String reason) {
    public static JobOutcome completed() {
        return new JobOutcome(JobState.COMPLETED, "");
    }

    public static JobOutcome cancelled(String reason) {
        return new JobOutcome(JobState.CANCELLED, reason);
    }

    public static JobOutcome failed(String reason) {
        return new JobOutcome(JobState.FAILED, reason);
    }

    static JobOutcome stillRunning(String reason) {
        return new JobOutcome(JobState.RUNNING, reason);
    }
}
