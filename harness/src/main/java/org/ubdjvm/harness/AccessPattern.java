package org.ubdjvm.harness;

/**
 * fio's {@code rw=}: sequential or random offsets, and reads, writes or a mix. Spelt as fio spells it, so the same
 * word goes to fio; {@code ubd run} takes every pattern, {@code ubd bench} the four unmixed ones.
 */
public enum AccessPattern {
    read, write, rw, randread, randwrite, randrw;

    public boolean random() {
        return this == randread || this == randwrite || this == randrw;
    }

    /** Every request a write. */
    public boolean writes() {
        return this == write || this == randwrite;
    }

    public boolean mixed() {
        return this == rw || this == randrw;
    }

    /** Reads in percent: all, none, or {@code rwmixread} for a mix. */
    public int readPercent(int rwmixread) {
        return mixed() ? rwmixread : writes() ? 0 : 100;
    }
}
