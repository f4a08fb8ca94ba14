package org.ubdjvm.harness.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.cow.ImageWindow;
import org.ubdjvm.driver.Geometry;
import org.ubdjvm.driver.Partition;
import org.ubdjvm.driver.PartitionTable;
import org.ubdjvm.harness.ByteSize;

/**
 * What the driver would make of a disk, for {@code ubd info}: its geometry (and where it came from) and its
 * partitions; and one partition as an image, for {@code ubd convert --partition}.
 */
record DiskReport(Geometry geometry, PartitionTable.Scan scan, int sectorSize) {

    static DiskReport of(BlockImage disk, Path file, Consumer<String> warnings) throws IOException {
        PartitionTable.Scan scan = PartitionTable.read(disk, file.toString());
        scan.warnings().forEach(warnings);
        return new DiskReport(Geometry.of(null, disk, file.toString()), scan, disk.sectorSize());
    }

    /** Partition {@code number} of {@code disk} as an image of its own; closing {@code disk} closes it. */
    static BlockImage partition(BlockImage disk, Path file, int number) throws IOException {
        PartitionTable.Scan scan = PartitionTable.read(disk, file.toString());
        Partition p = scan.partition(number);
        if (p == null) {
            throw new ImageException(file, "no partition " + number + " (" + (scan.partitions().isEmpty()
                    ? "partition table: " + scan.scheme() : "partitions: " + scan.partitions().stream()
                    .map(q -> String.valueOf(q.number())).collect(Collectors.joining(", "))) + ")");
        }
        return new ImageWindow(disk, p.start(), p.length(), disk.sectorSize());
    }

    /** Lines after qemu-img's fields: geometry, then one line a partition, start and size in sectors as sfdisk. */
    String human() {
        StringBuilder s = new StringBuilder();
        s.append("geometry: ").append(geometry).append(" (").append(source()).append(")\n");
        s.append("partition table: ").append(scan.scheme()).append('\n');
        for (Partition p : scan.partitions()) {
            s.append(String.format("    p%d: start %d, size %d sectors (%s), type %s%s%n", p.number(),
                    p.start() / sectorSize, p.length() / sectorSize, ByteSize.human(p.length()), p.type(),
                    p.name().isEmpty() ? "" : ", name " + p.name()));
        }
        return s.toString();
    }

    private String source() {
        return switch (geometry.source()) {
            case LETTERS -> "letters";
            case IMAGE -> "image";
            case DEFAULT -> "default";
        };
    }

    /** {@code json} (one object) with {@code geometry}, {@code partition-table} and {@code partitions} added. */
    String addTo(String json) {
        ObjectMapper mapper = new ObjectMapper();
        try {
            ObjectNode root = (ObjectNode) mapper.readTree(json);
            root.putObject("geometry").put("cylinders", geometry.cylinders()).put("heads", geometry.heads())
                    .put("sectors", geometry.sectors()).put("source", source());
            root.put("partition-table", scan.scheme());
            ArrayNode parts = root.putArray("partitions");
            for (Partition p : scan.partitions()) {
                parts.addObject().put("number", p.number()).put("start", p.start() / sectorSize)
                        .put("size", p.length() / sectorSize).put("offset", p.start()).put("length", p.length())
                        .put("type", p.type()).put("name", p.name());
            }
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot add the disk's layout to the info JSON", e);
        }
    }
}
