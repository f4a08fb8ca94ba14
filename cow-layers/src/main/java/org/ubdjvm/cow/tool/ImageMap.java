package org.ubdjvm.cow.tool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.BlockImage;

/** {@code ubd map}: the allocation runs of a whole disk as qemu-img map reports them. */
public final class ImageMap {
    private ImageMap() {
    }

    /**
     * Every run of the disk in order, adjacent runs of one layer merged. A layer holds its runs as data: the
     * allocation query does not tell a discarded (zeroed) COW sector from a written one, so {@code zero} is true
     * only where no layer holds the run.
     */
    public static List<MapEntry> of(BlockImage image) throws IOException {
        List<Path> layers = image.info().files();
        int bottom = layers.size() - 1;
        List<MapEntry> entries = new ArrayList<>();
        for (Allocation run : image.allocationMap(0, image.capacity())) {
            entries.add(run.zeros()
                    ? new MapEntry(run.offset(), run.length(), bottom, false, true, false, layers.get(bottom))
                    : new MapEntry(run.offset(), run.length(), run.depth(), true, false, true, layers.get(run.depth())));
        }
        return entries;
    }
}
