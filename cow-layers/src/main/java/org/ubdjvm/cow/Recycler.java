package org.ubdjvm.cow;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * A shelf of reusable per-request objects (a layer's completions), so a request in flight costs no allocation: taken
 * on the submitting thread, given back on the completing one, any threads at all. Each shelf place is claimed by
 * one compare-and-set, so there is no ABA to fear; the hints where to look are racy on purpose and only save
 * scanning. An empty shelf makes a new object (more requests in flight than places); a full one lets it go.
 */
final class Recycler<T> {
    private final AtomicReferenceArray<T> shelf;
    private final int mask;
    private final Supplier<T> make;
    private int takeHint;
    private int giveHint;

    /** {@code places}: a power of two, about the most requests a layer has in flight. */
    Recycler(int places, Supplier<T> make) {
        if (Integer.bitCount(places) != 1) {
            throw new IllegalArgumentException("places must be a power of two, not " + places);
        }
        this.shelf = new AtomicReferenceArray<>(places);
        this.mask = places - 1;
        this.make = make;
    }

    T take() {
        int h = takeHint;
        for (int k = 0; k <= mask; k++) {
            int i = (h + k) & mask;
            T t = shelf.get(i);
            if (t != null && shelf.compareAndSet(i, t, null)) {
                takeHint = i + 1;
                return t;
            }
        }
        return make.get();
    }

    void give(T t) {
        int h = giveHint;
        for (int k = 0; k <= mask; k++) {
            int i = (h + k) & mask;
            if (shelf.get(i) == null && shelf.compareAndSet(i, null, t)) {
                giveHint = i + 1;
                return;
            }
        }
    }
}
