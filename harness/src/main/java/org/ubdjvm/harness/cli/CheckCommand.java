package org.ubdjvm.harness.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ubdjvm.cow.CheckReport;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.Repair;
import org.ubdjvm.cow.tool.ImageCheck;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ubd check}: qemu-img check, with its exit codes (not the house ones): 0 clean, 1 the check could not
 * complete, 2 corruptions remain, 3 only leaks remain. The logic is cow-layers' {@link ImageCheck}.
 */
@Command(name = "check", description = {"Check one layer's file for consistency; -r repairs what is safe to.",
        "Exit codes are qemu-img check's: 0 clean, 1 check not completed, 2 corruptions, 3 leaks only.",
        "  ubd check disk.cow",
        "  ubd check -r all --output=json disk.cow"},
        exitCodeListHeading = "%nExit codes (qemu-img check's):%n",
        exitCodeList = {"0:no errors", "1:the check could not complete (unreadable file, bad header)",
                "2:corruptions remain", "3:leaks remain, no corruption"})
final class CheckCommand implements Callable<Integer> {
    static final int CLEAN = 0;
    static final int NOT_COMPLETED = 1;
    static final int CORRUPTIONS = 2;
    static final int LEAKS = 3;

    @Spec
    CommandSpec spec;

    @Mixin
    ImageOptions image;

    @Option(names = "-r", paramLabel = "leaks|all", description = "repair leaks only, or everything safe to repair")
    RepairLevel repair;

    @Mixin
    OutputOption output;

    @Mixin
    ProgressOption progress;

    @Parameters(paramLabel = "FILE")
    Path file;

    enum RepairLevel { leaks, all }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Repair level = repair == null ? Repair.NONE : repair == RepairLevel.all ? Repair.ALL : Repair.LEAKS;
        CheckReport report;
        try (IoEngine engine = new SyncEngine();
             Progress bar = progress.start("check", level == Repair.NONE ? 1 : 2, output.json())) { // 2: re-check
            long[] steps = {0};
            report = ImageCheck.run(FormatTable.standard(), image.spec(file, engine, err), level,
                    () -> bar.stepTo(++steps[0]));
        } catch (IOException | UncheckedIOException e) {
            err.println("ubd: check failed: " + e.getMessage());
            return NOT_COMPLETED;
        }
        if (output.json()) {
            report.messages().forEach(m -> err.println("ubd: " + file + ": " + m));
            out.print(json(report));
        } else {
            out.print(human(report));
        }
        return report.remainingCorruptions() > 0 ? CORRUPTIONS : report.remainingLeaks() > 0 ? LEAKS : CLEAN;
    }

    /** qemu-img's keys; like qemu-img, a count that is 0 is left out, except check-errors. */
    static String json(CheckReport r) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode node = mapper.createObjectNode();
        node.put("filename", r.file().toString());
        node.put("format", r.format());
        node.put("check-errors", 0);
        putNonZero(node, "corruptions", r.remainingCorruptions());
        putNonZero(node, "leaks", r.remainingLeaks());
        putNonZero(node, "corruptions-fixed", r.corruptionsFixed());
        putNonZero(node, "leaks-fixed", r.leaksFixed());
        putNonZero(node, "image-end-offset", r.imageEndOffset());
        putNonZero(node, "total-clusters", r.totalClusters());
        putNonZero(node, "allocated-clusters", r.allocatedClusters());
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putNonZero(ObjectNode node, String key, long value) {
        if (value != 0) {
            node.put(key, value);
        }
    }

    /** qemu-img check's human report: the findings, then its summary sentences. */
    static String human(CheckReport r) {
        StringBuilder b = new StringBuilder();
        r.messages().forEach(m -> b.append(m).append('\n'));
        if (r.corruptionsFixed() + r.leaksFixed() > 0) {
            b.append("The following inconsistencies were found and repaired:\n\n")
                    .append("    ").append(r.leaksFixed()).append(" leaked clusters\n")
                    .append("    ").append(r.corruptionsFixed()).append(" corruptions\n\n")
                    .append("Double checking the fixed image now...\n");
        }
        if (r.remainingCorruptions() == 0 && r.remainingLeaks() == 0) {
            b.append("No errors were found on the image.\n");
        }
        if (r.remainingCorruptions() > 0) {
            b.append('\n').append(r.remainingCorruptions()).append(" errors were found on the image.\n")
                    .append("Data may be corrupted, or further writes to the image may corrupt it.\n");
        }
        if (r.remainingLeaks() > 0) {
            b.append('\n').append(r.remainingLeaks()).append(" leaked clusters were found on the image.\n")
                    .append("This means waste of disk space, but no harm to data.\n");
        }
        if (r.totalClusters() > 0 && r.allocatedClusters() > 0) {
            b.append(String.format("%d/%d = %.2f%% allocated clusters (sectors)%n", r.allocatedClusters(),
                    r.totalClusters(), 100.0 * r.allocatedClusters() / r.totalClusters()));
        }
        if (r.imageEndOffset() > 0) {
            b.append("Image end offset: ").append(r.imageEndOffset()).append('\n');
        }
        return b.toString();
    }
}
