package org.ubdjvm.driver;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a live snapshot's time went. {@link #pause} is how long the ring was held (from the worker reaching the
 * barrier until the switch returned): the sum of {@link #drain}, {@link #flush}, {@link #create} and
 * {@link #switchover}, the only part every guest request waits for. The rest runs beside the guest's I/O: the flush
 * before the barrier, the new file's making before it, and the syncs after the release that make the switch
 * durable (a guest FLUSH sent meanwhile waits for those).
 *
 * @param preflush   the flush of the old top before the barrier, beside the guest's I/O
 * @param premake    making the new file before the barrier (header, fsync, link to its name, folder fsync)
 * @param drain      held: waiting for the requests in flight when the barrier was reached
 * @param flush      held: the ring's flush after the drain (0: a snapshot's barrier flushes nothing)
 * @param create     held: the recorded mtime put back on the old top, the new layer opened over the open stack
 * @param switchover held: pointing the device at the new layer
 * @param settle     after the release: the old top flushed, its mtime put back and fsynced; the new top's
 *                   flushes wait for it
 */
public record SnapshotTiming(Duration pause, Duration preflush, Duration premake, Duration drain, Duration flush,
                             Duration create, Duration switchover, Duration settle) {
    /** Every phase by its name, in the order it runs, the pause last. */
    public Map<String, Duration> phases() {
        Map<String, Duration> m = new LinkedHashMap<>();
        m.put("preflush", preflush);
        m.put("premake", premake);
        m.put("drain", drain);
        m.put("flush", flush);
        m.put("create", create);
        m.put("switch", switchover);
        m.put("settle", settle);
        m.put("pause", pause);
        return m;
    }
}
