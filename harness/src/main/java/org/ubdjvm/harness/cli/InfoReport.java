package org.ubdjvm.harness.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.harness.ByteSize;

/**
 * What {@code ubd info} prints. One list of fields per layer, keyed as qemu-img's JSON keys, feeds both outputs so
 * the human and the JSON views can never disagree.
 */
final class InfoReport {
    /** Only asked which protocol claims a location: no file is opened through it. */
    private static final org.ubdjvm.cow.FormatTable TABLE = org.ubdjvm.cow.FormatTable.standard();

    private InfoReport() {
    }

    record Field(String key, Object value) {
    }

    /** The fields of one layer, in display order; absent values are left out, as qemu-img does. */
    static List<Field> fields(ImageInfo i) {
        List<Field> f = new ArrayList<>();
        f.add(new Field("filename", name(i.filename())));
        f.add(new Field("format", i.format()));
        f.add(new Field("virtual-size", i.virtualSize()));
        f.add(new Field("sector-size", i.sectorSize()));
        f.add(new Field("file-length", i.fileLength()));
        if (i.allocatedBytes() != null) {
            f.add(new Field("allocated-bytes", i.allocatedBytes()));
        }
        if (i.backingFilename() != null) {
            f.add(new Field("backing-filename", i.backingFilename()));
        }
        if (i.backing() != null) {
            // what was really opened: differs from the stored name when -b was given
            f.add(new Field("full-backing-filename", name(i.backing().filename())));
            f.add(new Field("backing-filename-format", i.backing().format()));
        }
        if (!i.formatSpecific().isEmpty()) {
            f.add(new Field("format-specific", i.formatSpecific()));
        }
        return f;
    }

    /** A layer's file as a user would type it (an NBD URI as written). */
    static String name(java.nio.file.Path file) {
        return TABLE.displayName(file);
    }

    static String json(ImageInfo info) {
        ObjectMapper mapper = new ObjectMapper();
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(node(mapper, info)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write info as JSON", e);
        }
    }

    private static ObjectNode node(ObjectMapper mapper, ImageInfo info) {
        ObjectNode n = mapper.createObjectNode();
        for (Field f : fields(info)) {
            n.set(f.key(), mapper.valueToTree(f.value()));
        }
        if (info.backing() != null) {
            n.set("backing-image", node(mapper, info.backing()));
        }
        return n;
    }

    /** qemu-img style: "key: value" lines, format fields indented, each lower layer after a blank line. */
    static String human(ImageInfo top) {
        StringBuilder s = new StringBuilder();
        for (ImageInfo i = top; i != null; i = i.backing()) {
            if (i != top) {
                s.append('\n');
            }
            for (Field f : fields(i)) {
                String label = f.key().replace('-', ' ');
                if (f.value() instanceof Map<?, ?> map) {
                    s.append(label).append(":\n");
                    map.forEach((k, v) -> s.append("    ").append(k).append(": ").append(v).append('\n'));
                } else if (f.key().equals("virtual-size")) {
                    long bytes = (Long) f.value();
                    s.append(label).append(": ").append(ByteSize.human(bytes)).append(" (").append(bytes)
                            .append(" bytes)\n");
                } else {
                    s.append(label).append(": ").append(f.value()).append('\n');
                }
            }
        }
        return s.toString();
    }
}
