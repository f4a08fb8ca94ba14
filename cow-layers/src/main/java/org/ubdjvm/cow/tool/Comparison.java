package org.ubdjvm.cow.tool;

/**
 * What {@code ubd compare} found (qemu-img compare's outcomes).
 *
 * @param verdict     identical, or the first difference found
 * @param offset      where the difference starts: the first differing 512-byte block, or the run whose allocation
 *                    differs; 0 when identical or sizes differ in strict mode
 * @param sizesDiffer whether the two disks have different sizes (not a difference unless strict)
 */
public record Comparison(Verdict verdict, long offset, boolean sizesDiffer) {
    public enum Verdict {
        IDENTICAL,
        /** A byte differs (past the smaller disk: a byte of the larger one is not zero). */
        CONTENT_MISMATCH,
        /** Strict only: the sizes differ. */
        SIZE_MISMATCH,
        /** Strict only: a run is held by a different layer depth in the two. */
        ALLOCATION_MISMATCH
    }

    public boolean identical() {
        return verdict == Verdict.IDENTICAL;
    }
}
