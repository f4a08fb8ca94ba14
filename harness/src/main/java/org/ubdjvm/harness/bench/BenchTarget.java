package org.ubdjvm.harness.bench;

/**
 * What {@code ubd bench} drives: one host-io engine on a file, the whole stack (ring, driver, COW, engine), or the
 * request ring alone with no-op requests against an ArrayBlockingQueue hand-off.
 */
public enum BenchTarget { engine, stack, ring }
