package org.ubdjvm.harness.bench;

/**
 * What {@code ubd bench} drives: one host-io engine on a file, the whole stack (ring, driver, COW, engine), the
 * request ring alone with no-op requests against an ArrayBlockingQueue hand-off, {@code ubd serve} under fio's
 * nbd engine against other NBD servers ({@link NbdBenchmark}); or a whole-image job (convert, commit) against
 * uml_moo and qemu-img; or live snapshots of the stack under a guest's workload ({@link SnapshotBenchmark}).
 */
public enum BenchTarget { engine, stack, ring, nbd, convert, commit, snapshot }
