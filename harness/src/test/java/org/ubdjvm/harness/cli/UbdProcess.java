package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ubd} in a JVM of its own, for what an in-process run cannot show: a signal, a memory limit, fewer
 * privileges, a {@code kill -9}. {@code prefix} goes before {@code java} (e.g. {@code setpriv ...}), {@code jvmOptions}
 * after it. Public for the guest package's kill tests.
 */
public final class UbdProcess {
    private UbdProcess() {
    }

    public static ProcessBuilder builder(List<String> prefix, List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>(prefix);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), UbdMain.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    }

    public static Process start(String... args) throws IOException {
        return builder(List.of(), List.of(), args).start();
    }
}
