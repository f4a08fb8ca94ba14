package org.ubdjvm.harness.bench;

/**
 * What {@code ubd bench} drives: one host-io engine on a file, the whole stack (ring, driver, COW, engine), the
 * request ring alone with no-op requests against an ArrayBlockingQueue hand-off, or {@code ubd serve} under fio's
 * nbd engine against other NBD servers ({@link NbdBenchmark}).
 */
public enum BenchTarget { engine, stack, ring, nbd }
