package org.ubdjvm.props;

import java.nio.file.Path;
import java.util.List;

/**
 * The durability order of DESIGN.md, checked on the operations the engine was given: inside a COW file, data
 * reaches the host before the bitmap bit that points at it, so no bitmap byte may be written while a data-area
 * write to the same file is not yet durable (see {@link Durability}: synced by an fdatasync that started after the
 * data write completed, and itself completed before the bitmap write was issued).
 */
final class WriteOrder {
    private final Durability data = new Durability();

    /** Null when {@code events} (the next ones, in order) keep the rule; else what broke it. */
    String check(List<RecordingEngine.Event> events, StackModel model) {
        for (RecordingEngine.Event e : events) {
            StackModel.Layer layer = cowLayer(model, e.file());
            if (layer == null) {
                continue;
            }
            long dataOffset;
            long metadataOffset;
            if (layer.kind().isam()) { // the header's area end and the directory; the area holds data and index pages
                dataOffset = IsamGeometry.areaOffset(layer.size());
                metadataOffset = IsamGeometry.AREA_END_SECTOR;
            } else {
                CowGeometry g = CowGeometry.of(layer.kind(), layer.size());
                dataOffset = g.dataOffset();
                metadataOffset = g.bitmapOffset();
            }
            boolean isData = e.position() >= dataOffset;
            if (e.kind() == RecordingEngine.Kind.WRITE_ISSUED && !isData
                    && e.position() + e.length() > metadataOffset) {
                String unsynced = data.unsynced(e.file());
                if (unsynced != null) {
                    return e.file().getFileName() + ": bitmap or index bytes written at offset " + e.position()
                            + " while data was not durable: " + unsynced + " (a crash could leave bits pointing at"
                            + " missing data)";
                }
            }
            data.accept(e, isData);
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
