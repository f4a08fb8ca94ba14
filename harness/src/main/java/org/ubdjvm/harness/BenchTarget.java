package org.ubdjvm.harness;

/** What {@code ubd bench} drives: one host-io engine on a file, or the whole stack (ring, driver, COW, engine). */
enum BenchTarget { engine, stack }
