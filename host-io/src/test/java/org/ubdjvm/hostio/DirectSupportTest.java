package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The rule the direct conformance tests follow where O_DIRECT is refused: skip locally, fail in CI. */
class DirectSupportTest {
    @TempDir
    Path dir;

    @Test
    void aRefusalSkipsLocallyAndFailsInCi() {
        TestAbortedException skipped = assertThrows(TestAbortedException.class,
                () -> DirectSupport.skipOrFail("no O_DIRECT here", Map.of()));
        assertTrue(skipped.getMessage().contains("no O_DIRECT here"), skipped.getMessage());
        AssertionFailedError failed = assertThrows(AssertionFailedError.class,
                () -> DirectSupport.skipOrFail("no O_DIRECT here", Map.of("CI", "true")));
        assertTrue(failed.getMessage().contains("CI=true: no O_DIRECT here"), failed.getMessage());
    }

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
