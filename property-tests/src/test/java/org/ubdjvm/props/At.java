package org.ubdjvm.props;

/**
 * Where a request starts, in terms every disk of a property understands, so steps can be generated before the
 * disk's size is known: {@code sector} from the start, or ({@code fromEnd}) placed so that the request ends
 * {@code sector} sectors before the end of the disk (negative: past it).
 */
record At(long sector, boolean fromEnd) {
    static At start(long sector) {
        return new At(sector, false);
    }

    static At end(long sectorsBeforeEnd) {
        return new At(sectorsBeforeEnd, true);
    }

    /** The first sector of a request of {@code count} sectors on a disk of {@code sectors} sectors. */
    long first(long sectors, long count) {
        return fromEnd ? sectors - sector - count : sector;
    }

    String describe(long count) {
        if (!fromEnd) {
            return "sector " + sector + ", " + count + " sectors";
        }
        String where = sector == 0 ? "at the end" : sector > 0 ? sector + " before the end" : -sector + " past the end";
        return count + " sectors ending " + where;
    }
}
