package org.ubdjvm.props;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@link RecordingEngine} log and knows, per file, which writes are not yet durable. A write is durable only
 * once an fdatasync of its file that STARTED after the write COMPLETED has completed without error: an fdatasync
 * that overlaps a write in flight (possible on io_uring and aio) need not cover it.
 */
final class Durability {
    /** Writes issued and not completed, by id. */
    private final Map<Long, RecordingEngine.Event> inFlight = new LinkedHashMap<>();
    /** Writes completed and not yet covered by a completed fdatasync, by id. */
    private final Map<Long, RecordingEngine.Event> completed = new LinkedHashMap<>();
    /** For each fdatasync in flight, the writes it covers: those of its file completed when it started. */
    private final Map<Long, List<Long>> syncs = new HashMap<>();

    /** Takes the next event of the log; a write's issue is tracked only if {@code track}. */
    void accept(RecordingEngine.Event e, boolean track) {
        switch (e.kind()) {
            case WRITE_ISSUED -> {
                if (track) {
                    inFlight.put(e.id(), e);
                }
            }
            case WRITE_DONE -> {
                RecordingEngine.Event issued = inFlight.remove(e.id());
                if (issued != null) {
                    completed.put(e.id(), issued);
                }
            }
            case SYNC_STARTED -> syncs.put(e.id(), completed.entrySet().stream()
                    .filter(w -> w.getValue().file().equals(e.file())).map(Map.Entry::getKey).toList());
            case SYNC_DONE -> {
                List<Long> covered = syncs.remove(e.id());
                if (!e.failed() && covered != null) {
                    completed.keySet().removeAll(Set.copyOf(covered));
                }
            }
        }
    }

    /** Null when every tracked write to {@code file} is durable; else the first that is not, and why. */
    String unsynced(Path file) {
        for (RecordingEngine.Event w : inFlight.values()) {
            if (w.file().equals(file)) {
                return "the write of " + w.length() + " bytes at offset " + w.position() + " had not even completed";
            }
        }
        for (RecordingEngine.Event w : completed.values()) {
            if (w.file().equals(file)) {
                return "the write of " + w.length() + " bytes at offset " + w.position()
                        + " had completed but no fdatasync started after it had completed";
            }
        }
        return null;
    }
}
