package org.ubdjvm.harness.bench;

/** Access patterns, spelt as fio spells them so the same word goes to fio. */
public enum BenchRw {
    read, write, randread, randwrite;

    public boolean writes() {
        return this == write || this == randwrite;
    }

    public boolean random() {
        return this == randread || this == randwrite;
    }
}
