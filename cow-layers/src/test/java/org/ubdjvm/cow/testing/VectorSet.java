package org.ubdjvm.cow.testing;

import java.nio.file.Path;
import java.util.Map;
import org.ubdjvm.hostio.testing.CiRule;

/** A folder of vector files, and the vectors it lacks with the reason (a real tool that is missing or failed). */
record VectorSet(Path dir, Map<String, String> unavailable) {
    /** The vector's path, or skip (fail with CI=true) saying why it could not be made. */
    Path file(String name) {
        String why = unavailable.get(name);
        if (why != null) {
            CiRule.skipOrFail("test vector " + name + " could not be regenerated: " + why);
        }
        return dir.resolve(name);
    }
}
