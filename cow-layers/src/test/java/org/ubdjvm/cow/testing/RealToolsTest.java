package org.ubdjvm.cow.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** CI proves interop: there a missing program fails the test; on a developer's machine it skips with a reason. */
class RealToolsTest {
    private static final Map<String, String> NO_PATH = Map.of("PATH", "/nonexistent");

    @Test
    void aMissingProgramFailsUnderCi() {
        for (String tool : new String[] {"uml_mkcow", "uml_moo"}) {
            AssertionFailedError e = assertThrows(AssertionFailedError.class,
                    () -> RealTools.require(tool + "-not-here", "uml-utilities", Map.of("PATH", "/nonexistent", "CI", "true")));
            assertTrue(e.getMessage().startsWith("CI=true: " + tool + "-not-here not found"), e.getMessage());
        }
    }

    @Test
    void aMissingProgramSkipsElsewhereAndSaysWhatToInstall() {
        TestAbortedException e = assertThrows(TestAbortedException.class,
                () -> RealTools.require("uml_moo-not-here", "uml-utilities", NO_PATH));
        assertTrue(e.getMessage().contains("install the Debian package uml-utilities"), e.getMessage());
    }

    @Test
    void aPresentProgramIsFound() {
        assertEquals("sh", RealTools.require("sh", "dash", Map.of("PATH", "/bin:/usr/bin", "CI", "true")).getFileName().toString());
    }
}
