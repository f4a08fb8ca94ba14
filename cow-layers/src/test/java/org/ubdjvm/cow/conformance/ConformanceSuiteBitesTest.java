package org.ubdjvm.cow.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.RawFormat;
import org.ubdjvm.cow.testing.conformance.BlockImageConformance;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.hostio.IoEngine;

/**
 * The conformance suite, run through the JUnit Platform launcher over formats broken on purpose, must fail them:
 * a suite that passes a broken format proves nothing about the real ones.
 */
class ConformanceSuiteBitesTest {
    /** Raw opened by its format alone, without the table's request check. */
    static final class SkipsTheRequestCheck extends BlockImageConformance {
        @Override
        protected TestStack make(Path dir, IoEngine engine) throws IOException {
            return TestStack.patternedRaw(dir, engine, "base.raw", UmlCowLayers.SIZE)
                    .openedBy(BrokenFormats::uncheckedRaw);
        }
    }

    /** V3 over raw whose multi-sector reads take their last sector from the raw file below. */
    static final class ReadsFromTheWrongLayer extends BlockImageConformance {
        @Override
        protected TestStack make(Path dir, IoEngine engine) throws IOException {
            TestStack stack = TestStack.patternedRaw(dir, engine, "base.raw", UmlCowLayers.SIZE)
                    .over("top.v3.cow", UmlCowLayers.version(3));
            Path base = stack.files().get(0);
            return stack.openedBy((top, e, readOnly) -> new BrokenFormats.LastSectorFromBelow(
                    TestStack.FORMAT_TABLE.open(top, e, readOnly),
                    FormatTable.standard().open(OpenSpec.of(base, e).withFormat(RawFormat.NAME).withReadOnly(true))));
        }
    }

    /** V2 over raw whose allocation query says the top holds every sector. */
    static final class MisreportsAllocation extends BlockImageConformance {
        @Override
        protected TestStack make(Path dir, IoEngine engine) throws IOException {
            return TestStack.patternedRaw(dir, engine, "base.raw", UmlCowLayers.SIZE)
                    .over("top.v2.cow", UmlCowLayers.version(2))
                    .openedBy((top, e, readOnly) -> new BrokenFormats.ClaimsEverySector(
                            TestStack.FORMAT_TABLE.open(top, e, readOnly)));
        }
    }

    /** V3 over raw whose close leaves 512 bytes past the data area. */
    static final class LeavesALeak extends BlockImageConformance {
        @Override
        protected TestStack make(Path dir, IoEngine engine) throws IOException {
            return TestStack.patternedRaw(dir, engine, "base.raw", UmlCowLayers.SIZE)
                    .over("top.v3.cow", UmlCowLayers.version(3))
                    .openedBy((top, e, readOnly) -> new BrokenFormats.LeaksOnClose(
                            TestStack.FORMAT_TABLE.open(top, e, readOnly), top));
        }
    }

    @Test
    void aFormatThatSkipsTheRequestCheckFailsTheBadRequestCheckOnEveryEngine() {
        Map<String, TestExecutionResult> runs = run(SkipsTheRequestCheck.class);
        requireFailedOnEveryEngine(runs, "readOnlyRefusesWritesAndDiscards", "");
        requireFailedOnEveryEngine(runs, "badRequestsAreRefusedAndChangeNothing", "was accepted");
    }

    @Test
    void aStackServingARunFromTheWrongLayerFailsTheMixedPageReadsOnEveryEngine() {
        Map<String, TestExecutionResult> runs = run(ReadsFromTheWrongLayer.class);
        requireFailedOnEveryEngine(runs, "randomOperationsMatchTheModel", "");
        requireFailedOnEveryEngine(runs, "readsThatMixLayersInsideOnePage", "(held by the top file) differs");
    }

    @Test
    void aStackMisreportingItsAllocationFailsTheAllocationCheckOnEveryEngine() {
        requireFailedOnEveryEngine(run(MisreportsAllocation.class), "allocationMatchesTheModel",
                "is reported held by the top file; it is held 1 file below the top");
    }

    @Test
    void aFormatLeavingALeakAtCloseFailsTheCheckAfterClose() {
        requireFailedOnEveryEngine(run(LeavesALeak.class), "randomOperationsMatchTheModel",
                "after close, check of top.v3.cow (cow) found 0 corruptions and 1 leaks");
    }

    /** The result of every run of the class, by display name ("randomOperationsMatchTheModel on sync"). */
    private static Map<String, TestExecutionResult> run(Class<?> suite) {
        Map<String, TestExecutionResult> runs = new LinkedHashMap<>();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(suite)).build(),
                new TestExecutionListener() {
                    private TestPlan plan;

                    @Override
                    public void testPlanExecutionStarted(TestPlan testPlan) {
                        plan = testPlan;
                    }

                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                        if (id.isTest()) { // a run is named "on sync"; its parent is the check
                            runs.put(plan.getParent(id).map(TestIdentifier::getDisplayName).orElse("?") + " "
                                    + id.getDisplayName(), result);
                        }
                    }
                });
        assertFalse(runs.isEmpty(), "the launcher ran nothing of " + suite.getSimpleName());
        return runs;
    }

    /**
     * {@code check} failed on every engine this host has (sync at least), each time saying {@code why} and how to
     * rerun it; an engine the host forbids was skipped by the suite and proves nothing either way.
     */
    private static void requireFailedOnEveryEngine(Map<String, TestExecutionResult> runs, String check, String why) {
        int failed = 0;
        for (String engine : BlockImageConformance.engines().toList()) {
            TestExecutionResult result = runs.get(check + " on " + engine);
            assertNotNull(result, check + " did not run on " + engine + "; ran: " + runs.keySet());
            if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
                continue;
            }
            assertEquals(TestExecutionResult.Status.FAILED, result.getStatus(), check + " on " + engine);
            String message = result.getThrowable().map(String::valueOf).orElse("");
            assertTrue(message.contains(why) && message.contains("-Dubd.conformance.seed="), message);
            failed++;
        }
        assertTrue(failed > 0, check + " ran on no engine");
    }
}
