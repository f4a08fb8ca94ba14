package org.ubdjvm.cow.tool;

import java.io.IOException;

/** A compare that could not finish, and at which step: qemu-img compare exits 3 for the one, 4 for the other. */
public final class CompareFailure extends IOException {
    public enum Step { ALLOCATION, READ }

    private final Step step;

    CompareFailure(Step step, IOException cause) {
        super(cause.getMessage(), cause);
        this.step = step;
    }

    public Step step() {
        return step;
    }
}
