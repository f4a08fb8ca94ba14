package org.ubdjvm.props;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a crash may leave: the disk as of the last completed flush (or close), except that each sector written
 * since then may hold any value it was given since. Anything else means a bitmap bit reached the file before its
 * data, or a flushed write was lost.
 */
final class SinceFlush {
    private static final int SECTOR = SectorData.SECTOR;

    private DiskModel durable;
    private final Map<Long, List<byte[]>> writtenSince = new HashMap<>();

    SinceFlush(DiskModel now) {
        this.durable = now.copy();
    }

    void flushed(DiskModel now) {
        durable = now.copy();
        writtenSince.clear();
    }

    void wrote(long offset, byte[] data) {
        for (int i = 0; i < data.length; i += SECTOR) {
            writtenSince.computeIfAbsent(offset / SECTOR + i / SECTOR, s -> new ArrayList<>())
                    .add(Arrays.copyOfRange(data, i, i + SECTOR));
        }
    }

    /** Null when {@code disk} (a whole disk as read after the crash) is a state the contract allows. */
    String check(byte[] disk) {
        for (long s = 0; s < durable.sectors(); s++) {
            byte[] got = Arrays.copyOfRange(disk, Math.toIntExact(s * SECTOR), Math.toIntExact((s + 1) * SECTOR));
            if (Arrays.equals(got, durable.sector(s))) {
                continue;
            }
            boolean allowed = writtenSince.getOrDefault(s, List.of()).stream().anyMatch(v -> Arrays.equals(v, got));
            if (!allowed) {
                return "after a crash sector " + s + " holds " + SectorData.preview(got, 0)
                        + ", neither its flushed value " + SectorData.preview(durable.sector(s), 0)
                        + " nor one written since the last flush (" + writtenSince.getOrDefault(s, List.of()).size()
                        + " writes)";
            }
        }
        return null;
    }
}
