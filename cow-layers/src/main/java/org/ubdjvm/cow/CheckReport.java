package org.ubdjvm.cow;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link ImageFormat#check} found in one layer (qemu's {@code BdrvCheckResult}). A corruption can make a read
 * return wrong data or the file unreadable by the kernel; a leak only wastes space. Counts are of findings, not of
 * bytes; a finding that was repaired is counted in both its kind and its kind's {@code fixed} count.
 *
 * @param file             the layer checked
 * @param format           its format name
 * @param corruptions      corruptions found
 * @param leaks            leaks found
 * @param corruptionsFixed of the corruptions, those repaired
 * @param leaksFixed       of the leaks, those repaired
 * @param messages         one line per finding, naming the field or offset and the reason (and the repair, if made);
 *                         the file is not repeated in them
 * @param imageEndOffset   where the layer's last data ends in its file (qemu's {@code image-end-offset}); 0 unknown
 * @param allocatedClusters units of the layer's allocation (sectors of a COW) it holds; 0 when none or unknown
 * @param totalClusters    units of allocation the layer can hold; 0 when it has no such units (raw)
 */
public record CheckReport(Path file, String format, int corruptions, int leaks, int corruptionsFixed,
                          int leaksFixed, List<String> messages, long imageEndOffset, long allocatedClusters,
                          long totalClusters) {

    public CheckReport {
        messages = List.copyOf(messages);
        if (corruptionsFixed > corruptions || leaksFixed > leaks || corruptionsFixed < 0 || leaksFixed < 0) {
            throw new IllegalArgumentException("more fixed than found: " + corruptionsFixed + "/" + corruptions
                    + ", " + leaksFixed + "/" + leaks);
        }
    }

    /** Findings only, no usage figures. */
    public CheckReport(Path file, String format, int corruptions, int leaks, int corruptionsFixed, int leaksFixed,
                       List<String> messages) {
        this(file, format, corruptions, leaks, corruptionsFixed, leaksFixed, messages, 0, 0, 0);
    }

    /** This report with the usage figures of qemu-img check's report. */
    public CheckReport withUsage(long endOffset, long allocated, long total) {
        return new CheckReport(file, format, corruptions, leaks, corruptionsFixed, leaksFixed, messages, endOffset,
                allocated, total);
    }

    /** Nothing found. */
    public static CheckReport clean(Path file, String format) {
        return new CheckReport(file, format, 0, 0, 0, 0, List.of());
    }

    /** Nothing was found at all. */
    public boolean clean() {
        return corruptions == 0 && leaks == 0;
    }

    /** Corruptions still in the file. */
    public int remainingCorruptions() {
        return corruptions - corruptionsFixed;
    }

    /** Leaks still in the file. */
    public int remainingLeaks() {
        return leaks - leaksFixed;
    }
}
