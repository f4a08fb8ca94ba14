package org.ubdjvm.harness;

/** What to tell a user whose run ran out of memory: a limit they can raise, not a stack trace. */
public final class OutOfMemory {
    private static final long MIB = 1 << 20;

    private OutOfMemory() {
    }

    /** One line: what ran out (heap or direct memory), the limit now, and what to raise or lower. */
    public static String advice(OutOfMemoryError e) {
        String what = e.getMessage() == null ? "Java heap space" : e.getMessage();
        return "out of memory (" + what + "; heap limit " + Runtime.getRuntime().maxMemory() / MIB + " MiB): raise it"
                + " with UBD_JAVA_OPTS='-Xmx4g -XX:MaxDirectMemorySize=4g', or lower --bs, --iodepth or --threads";
    }
}
