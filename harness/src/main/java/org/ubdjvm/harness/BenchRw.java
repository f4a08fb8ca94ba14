package org.ubdjvm.harness;

/** Access patterns, spelt as fio spells them so the same word goes to fio. */
enum BenchRw {
    read, write, randread, randwrite;

    boolean writes() {
        return this == write || this == randwrite;
    }

    boolean random() {
        return this == randread || this == randwrite;
    }
}
