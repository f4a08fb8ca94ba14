package org.ubdjvm.cow.tool;

import java.io.IOException;
import org.ubdjvm.cow.CheckReport;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.Repair;

/** {@code ubd check}: qemu-img check's sequence, a check that may repair, then, if it did, a check of the result. */
public final class ImageCheck {
    private ImageCheck() {
    }

    /**
     * Checks {@code spec.file()}, repairing what {@code repair} allows. After a repair the file is checked again,
     * as qemu-img does, so what the report calls remaining is what that second check found; the messages are the
     * first check's, which name each repair.
     */
    public static CheckReport run(FormatTable table, OpenSpec spec, Repair repair, Runnable step) throws IOException {
        CheckReport first = table.check(spec, repair);
        step.run();
        if (first.corruptionsFixed() + first.leaksFixed() == 0) {
            return first;
        }
        CheckReport again = table.check(spec, Repair.NONE);
        step.run();
        return new CheckReport(first.file(), again.format(), again.corruptions() + first.corruptionsFixed(),
                again.leaks() + first.leaksFixed(), first.corruptionsFixed(), first.leaksFixed(), first.messages(),
                again.imageEndOffset(), again.allocatedClusters(), again.totalClusters());
    }
}
