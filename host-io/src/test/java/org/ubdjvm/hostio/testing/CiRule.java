package org.ubdjvm.hostio.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.util.Map;

/**
 * The project's rule for tests that need something this machine may lack (a program, the shared vectors, a
 * filesystem that takes O_DIRECT): on a developer's machine the test is skipped with the reason; with CI=true it
 * fails, so CI proves interop and nothing hides behind a skip. Every module's test helpers call this one.
 */
public final class CiRule {
    private CiRule() {
    }

    public static boolean inCi() {
        return inCi(System.getenv());
    }

    public static boolean inCi(Map<String, String> env) {
        return "true".equalsIgnoreCase(env.get("CI"));
    }

    /** Never returns: fails under CI=true, else skips; both say {@code why}. */
    public static void skipOrFail(String why) {
        skipOrFail(why, System.getenv());
    }

    /** {@link #skipOrFail(String)} with the environment given, so the rule itself can be tested. */
    public static void skipOrFail(String why, Map<String, String> env) {
        if (inCi(env)) {
            fail("CI=true: " + why);
        }
        abort(why);
    }
}
