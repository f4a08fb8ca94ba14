package org.ubdjvm.hostio.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class CiRuleTest {
    @Test
    void somethingMissingSkipsLocallyAndFailsInCi() {
        TestAbortedException skipped = assertThrows(TestAbortedException.class,
                () -> CiRule.skipOrFail("no O_DIRECT here", Map.of()));
        assertTrue(skipped.getMessage().contains("no O_DIRECT here"), skipped.getMessage());
        AssertionFailedError failed = assertThrows(AssertionFailedError.class,
                () -> CiRule.skipOrFail("no O_DIRECT here", Map.of("CI", "true")));
        assertTrue(failed.getMessage().contains("CI=true: no O_DIRECT here"), failed.getMessage());
    }
}
