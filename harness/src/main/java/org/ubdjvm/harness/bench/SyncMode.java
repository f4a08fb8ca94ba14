package org.ubdjvm.harness.bench;

/**
 * When a whole-image job's clock stops ({@code ubd bench --target=convert|commit --sync=}). The tools differ in what
 * they make durable on their own: {@code qemu-img convert} writes with cache=unsafe (no flush), {@code qemu-img
 * commit} flushes, {@code uml_moo} never fsyncs, and ubd's convert (an atomic rename) and commit (crash-safe) always
 * do. So either every tool's output is made durable inside its time, or none is made so by the bench.
 */
public enum SyncMode {
    /** The clock stops once what the tool wrote is durable: the bench fsyncs its output files before stopping it. */
    all("every tool's output fsynced inside its time (tool start to data durable)"),
    /** The clock stops when the tool returns; only what a tool syncs itself is durable (ubd always does). */
    none("no fsync by the bench: the time ends when the tool returns (ubd, crash-safe, still syncs its own output)");

    private final String meaning;

    SyncMode(String meaning) {
        this.meaning = meaning;
    }

    /** One line for the report's header. */
    public String meaning() {
        return meaning;
    }
}
