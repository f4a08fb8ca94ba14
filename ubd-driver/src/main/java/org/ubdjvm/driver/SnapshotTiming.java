package org.ubdjvm.driver;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a live snapshot's time went. {@link #pause} is how long the ring was held (from the worker reaching the
 * barrier until the switch returned): the sum of {@link #drain}, {@link #flush}, {@link #create} and
 * {@link #switchover}, the only part a guest waits for. The rest runs beside the guest's I/O: the flush before the
 * barrier, the new file's making before it, and the syncs after the release that make the switch durable.
 *
 * @param preflush   the flush of the old top before the barrier, beside the guest's I/O
 * @param premake    making the new file before the barrier (its header, its fsync)
 * @param drain      held: waiting for the requests in flight when the barrier was reached
 * @param flush      held: the ring's flush after the drain (0 when the switch does without)
 * @param create     held: what is left of the new file's making (its last header field, its name)
 * @param switchover held: opening the new layer over the open stack and pointing the device at it
 * @param settle     after the release: the syncs that make the switch survive a power cut
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
