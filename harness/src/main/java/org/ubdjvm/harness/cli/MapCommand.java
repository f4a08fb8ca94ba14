package org.ubdjvm.harness.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.tool.ImageMap;
import org.ubdjvm.cow.tool.MapEntry;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ubd map}: qemu-img map, the layer each run of the disk comes from (cow-layers' {@link ImageMap}). The JSON
 * is qemu-img's, one entry a line, without {@code offset}: where a layer keeps a run in its file is the format's
 * business, which the allocation query does not expose.
 */
@Command(name = "map", description = {"Show which layer each run of the disk is read from (read-only).",
        "  ubd map disk.cow",
        "  ubd map --output=json disk.cow"})
final class MapCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ImageOptions image;

    @Mixin
    OutputOption output;

    @Parameters(paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws IOException {
        List<MapEntry> entries;
        try (IoEngine engine = new SyncEngine();
             BlockImage opened = image.open(file, true, engine, spec.commandLine().getErr())) {
            entries = ImageMap.of(opened);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(output.json() ? json(entries) : human(entries));
        return UbdMain.OK;
    }

    /** qemu-img map's layout: a JSON array, one object a line. */
    static String json(List<MapEntry> entries) throws JsonProcessingException {
        ObjectMapper mapper = new ObjectMapper();
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < entries.size(); i++) {
            MapEntry e = entries.get(i);
            b.append(i == 0 ? "" : ",\n").append(String.format(
                    "{ \"start\": %d, \"length\": %d, \"depth\": %d, \"present\": %b, \"zero\": %b, \"data\": %b,"
                            + " \"filename\": %s}",
                    e.start(), e.length(), e.depth(), e.present(), e.zero(), e.data(),
                    mapper.writeValueAsString(InfoReport.name(e.filename()))));
        }
        return b.append("]\n").toString();
    }

    /** qemu-img map's table of the runs that hold data, without its "Mapped to" column. */
    static String human(List<MapEntry> entries) {
        StringBuilder b = new StringBuilder(String.format("%-16s%-16s%s%n", "Offset", "Length", "File"));
        for (MapEntry e : entries) {
            if (e.data()) {
                b.append(String.format("%-16s%-16s%s%n", hex(e.start()), hex(e.length()), InfoReport.name(e.filename())));
            }
        }
        return b.toString();
    }

    /** C's {@code %#x}: 0 without a prefix. */
    private static String hex(long value) {
        return value == 0 ? "0" : "0x" + Long.toHexString(value);
    }
}
