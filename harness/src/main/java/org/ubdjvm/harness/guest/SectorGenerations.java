package org.ubdjvm.harness.guest;

/**
 * How many times a replay has written each sector of one device (the generation its self-describing data carries),
 * and whether a discard came after the last write. Pages of 4096 sectors are made on first use, so a trace that
 * touches a little of a large disk costs little.
 */
final class SectorGenerations {
    /** What {@link #get} says of a sector discarded since its last write: it must read as zeros. */
    static final int DISCARDED = -1;
    private static final int PAGE_SHIFT = 12;
    private static final int PAGE = 1 << PAGE_SHIFT;

    /** Per sector: n >= 0 written n times; -(n + 1) discarded after n writes. */
    private final int[][] pages;

    SectorGenerations(long sectors) {
        this.pages = new int[Math.toIntExact((sectors + PAGE - 1) >>> PAGE_SHIFT)][];
    }

    /** The generation the sector must hold (0: never written by the replay), or {@link #DISCARDED}. */
    int get(long sector) {
        int[] page = pages[(int) (sector >>> PAGE_SHIFT)];
        int v = page == null ? 0 : page[(int) (sector & (PAGE - 1))];
        return v >= 0 ? v : DISCARDED;
    }

    /** One more write of {@code sector}; returns its new generation (never one it had before a discard). */
    int next(long sector) {
        int[] page = page(sector);
        int i = (int) (sector & (PAGE - 1));
        page[i] = writes(page[i]) + 1;
        return page[i];
    }

    void discard(long sector) {
        int[] page = page(sector);
        int i = (int) (sector & (PAGE - 1));
        page[i] = -(writes(page[i]) + 1);
    }

    private static int writes(int v) {
        return v >= 0 ? v : -(v + 1);
    }

    private int[] page(long sector) {
        int p = (int) (sector >>> PAGE_SHIFT);
        if (pages[p] == null) {
            pages[p] = new int[PAGE];
        }
        return pages[p];
    }
}
