package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The O_DIRECT probe the direct conformance tests rely on (what they do when it refuses: CiRuleTest). */
class DirectSupportTest {
    @TempDir
    Path dir;

    @Test
    void aDirectoryThatCannotHoldTheProbeIsReportedWithTheReason() {
        String why = DirectSupport.refusal(dir.resolve("missing"));
        assertTrue(why != null && why.contains("refuses O_DIRECT") && why.contains("missing"), why);
    }

    @Test
    void theProbeLeavesNothingBehind() throws Exception {
        if (DirectSupport.refusal(dir) == null) {
            try (var files = java.nio.file.Files.list(dir)) {
                assertNull(files.findFirst().orElse(null));
            }
        }
    }
}
