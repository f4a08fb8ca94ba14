package org.ubdjvm.harness.nbd;

import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.nbd.NbdWire;

/**
 * The metadata contexts this server answers {@code NBD_CMD_BLOCK_STATUS} for, both read from the stack's allocation
 * runs. The id is fixed per context (the protocol lets it be any value, unique within a connection).
 */
enum MetaContext {
    /** Hole and zero (bits 0 and 1) where no layer holds the run; 0 (data) where one does, even a COW's hole. */
    BASE_ALLOCATION(NbdWire.CONTEXT_BASE_ALLOCATION, 1),
    /** qemu's: 0 where no layer holds the run, 1 the top layer, 2 the one below, and so on. */
    QEMU_ALLOCATION_DEPTH(NbdWire.CONTEXT_QEMU_ALLOCATION_DEPTH, 2);

    final String contextName;
    final int id;

    MetaContext(String contextName, int id) {
        this.contextName = contextName;
        this.id = id;
    }

    /** The status flags this context reports for a run. */
    int status(Allocation run) {
        return switch (this) {
            case BASE_ALLOCATION -> run.zeros() ? NbdWire.STATE_HOLE | NbdWire.STATE_ZERO : 0;
            case QEMU_ALLOCATION_DEPTH -> run.zeros() ? 0 : run.depth() + 1;
        };
    }

    /**
     * The contexts {@code NBD_OPT_LIST_META_CONTEXT} returns for {@code queries}: all for none; for each query, the
     * context it names, or every context of its namespace for a bare {@code namespace:}; unknown ones are ignored.
     */
    static List<MetaContext> list(List<String> queries) {
        if (queries.isEmpty()) {
            return List.of(values());
        }
        List<MetaContext> out = new ArrayList<>();
        for (String q : queries) {
            for (MetaContext c : values()) {
                boolean match = q.endsWith(":") ? c.contextName.startsWith(q) : c.contextName.equals(q);
                if (match && !out.contains(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    /** The contexts {@code NBD_OPT_SET_META_CONTEXT} selects: exact names only (a bare namespace selects none). */
    static List<MetaContext> select(List<String> queries) {
        List<MetaContext> out = new ArrayList<>();
        for (String q : queries) {
            for (MetaContext c : values()) {
                if (c.contextName.equals(q) && !out.contains(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }
}
