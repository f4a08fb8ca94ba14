package org.ubdjvm.props;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The durability order of DESIGN.md, checked on the operations the engine carried out: inside a COW file, data
 * reaches the host before the bitmap bit that points at it, so no bitmap byte may be written while a data-area
 * write to the same file has not yet been followed by an fdatasync.
 */
final class WriteOrder {
    private final Set<Path> unsyncedData = new HashSet<>();

    /** Null when {@code events} (the next ones, in order) keep the rule; else what broke it. */
    String check(List<RecordingEngine.Event> events, StackModel model) {
        for (RecordingEngine.Event e : events) {
            StackModel.Layer layer = cowLayer(model, e.file());
            if (layer == null) {
                continue;
            }
            CowGeometry g = new CowGeometry(layer.version(), layer.size());
            if (e.op().equals("datasync")) {
                unsyncedData.remove(e.file());
            } else if (e.position() >= g.dataOffset()) {
                unsyncedData.add(e.file());
            } else if (e.position() + e.length() > g.bitmapOffset() && unsyncedData.contains(e.file())) {
                return e.file().getFileName() + ": bitmap bytes written at offset " + e.position()
                        + " before the data written earlier was synced (a crash could leave bits pointing at"
                        + " missing data)";
            }
        }
        return null;
    }

    private static StackModel.Layer cowLayer(StackModel model, Path file) {
        List<StackModel.Layer> layers = model.layers();
        for (int i = 1; i < layers.size(); i++) {
            if (layers.get(i).file().equals(file)) {
                return layers.get(i);
            }
        }
        return null;
    }
}
