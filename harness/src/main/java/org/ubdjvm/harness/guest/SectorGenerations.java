package org.ubdjvm.harness.guest;

/**
 * How many times a replay has written each sector of one device: the generation its self-describing data carries.
 * Pages of 4096 sectors are made on first write, so a trace that touches a little of a large disk costs little.
 */
final class SectorGenerations {
    private static final int PAGE_SHIFT = 12;
    private static final int PAGE = 1 << PAGE_SHIFT;

    private final int[][] pages;

    SectorGenerations(long sectors) {
        this.pages = new int[Math.toIntExact((sectors + PAGE - 1) >>> PAGE_SHIFT)][];
    }

    int get(long sector) {
        int[] page = pages[(int) (sector >>> PAGE_SHIFT)];
        return page == null ? 0 : Math.max(0, page[(int) (sector & (PAGE - 1))]);
    }

    /** One more write of {@code sector}; returns its new generation. */
    int next(long sector) {
        int p = (int) (sector >>> PAGE_SHIFT);
        if (pages[p] == null) {
            pages[p] = new int[PAGE];
        }
        int i = (int) (sector & (PAGE - 1));
        pages[p][i] = Math.abs(pages[p][i]) + 1;
        return pages[p][i];
    }

    /**
     * A discard makes the sector read as zeros (generation 0 expected). Its count is kept, negated, so the next
     * write still carries a generation it never had: a layer that dropped both would not pass.
     */
    void discard(long sector) {
        int[] page = pages[(int) (sector >>> PAGE_SHIFT)];
        if (page != null) {
            int i = (int) (sector & (PAGE - 1));
            page[i] = -Math.abs(page[i]);
        }
    }
}
