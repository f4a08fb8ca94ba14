package org.ubdjvm.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/** What to tell a user whose run ran out of memory: a limit they can raise, not a stack trace. */
public final class OutOfMemory {
    private static final long MIB = 1 << 20;

    private OutOfMemory() {
    }

    /** One line: what ran out (heap, direct memory or threads), the limit now, and what to raise or lower. */
    public static String advice(OutOfMemoryError e) {
        String what = e.getMessage() == null ? "Java heap space" : e.getMessage();
        if (what.contains("native thread")) {
            return "out of threads (" + what + "): raise the process limit (ulimit -u) or lower --threads";
        }
        return "out of memory (" + what + "; heap limit " + Runtime.getRuntime().maxMemory() / MIB + " MiB): raise it"
                + " with UBD_JAVA_OPTS='-Xmx4g -XX:MaxDirectMemorySize=4g', or lower --metadata-cache, --bs, --iodepth"
                + " or --threads";
    }

    /** {@link #advice(OutOfMemoryError)} after the image files a command line names, as every error names its file. */
    public static String advice(OutOfMemoryError e, String[] args) {
        Set<String> files = new LinkedHashSet<>();
        for (String arg : args) {
            // a plain path, or the names of a device argument: ubd0r=cow,backing
            String names = arg.startsWith("ubd") && arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : arg;
            for (String name : names.split("[,:]")) {
                if (!name.isEmpty() && !name.startsWith("-") && Files.isRegularFile(Path.of(name))) {
                    files.add(name);
                }
            }
        }
        return files.isEmpty() ? advice(e) : String.join(", ", files) + ": " + advice(e);
    }
}
