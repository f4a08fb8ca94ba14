package org.ubdjvm.cow;

/** What {@code check} may repair: qemu-img check's {@code -r leaks|all}. */
public enum Repair {
    /** Write nothing. */
    NONE,
    /** Repair leaks only (space wasted, no data at stake). */
    LEAKS,
    /** Repair leaks and every corruption that can be repaired safely. */
    ALL;

    boolean leaks() {
        return this != NONE;
    }

    boolean corruptions() {
        return this == ALL;
    }
}
