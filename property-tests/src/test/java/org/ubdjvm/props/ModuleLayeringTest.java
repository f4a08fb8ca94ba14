package org.ubdjvm.props;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The house's layering (DESIGN.md): nothing points back up. A scan of each module's main sources for the packages it
 * must not name, in imports or written out in full, so a wrong arrow fails the build with the file and line.
 *
 * <p>Sources, not class files: cow-layers' API carries host-io's {@code IoCompletion} (the driver passes lambdas
 * for it without naming it), which class-file tools such as ArchUnit count as the driver depending on host-io; the
 * rule DESIGN.md states, and that its acceptance checks with grep, is what a module's code names.
 */
class ModuleLayeringTest {
    /** Module folder to the root packages its main code must not name. */
    static final Map<String, List<String>> MUST_NOT_NAME = Map.of(
            "host-io", List.of("cow", "queue", "driver", "harness"),
            "cow-layers", List.of("queue", "driver", "harness"),
            "request-queue", List.of("hostio", "cow", "driver", "harness"),
            "ubd-driver", List.of("hostio", "harness"));

    private static final Pattern NAMED = Pattern.compile("\\borg\\.ubdjvm\\.(\\w+)\\b");

    @Test
    void noModuleNamesAModuleAboveItOrOneItMustNotKnow() {
        List<String> wrong = new ArrayList<>();
        MUST_NOT_NAME.forEach((module, forbidden) -> {
            Path sources = Path.of("..", module, "src", "main", "java");
            assertTrue(Files.isDirectory(sources), "no sources at " + sources.toAbsolutePath().normalize());
            wrong.addAll(scan(sources, module, forbidden));
        });
        assertEquals(List.of(), wrong);
    }

    /** harness: only its cli package talks picocli; guest and bench are driven by it, not written against it. */
    @Test
    void onlyTheHarnessCliPackageNamesPicocli() throws IOException {
        Path harness = Path.of("..", "harness", "src", "main", "java", "org", "ubdjvm", "harness");
        assertTrue(Files.isDirectory(harness.resolve("cli")), "no harness cli package at " + harness.toAbsolutePath());
        List<String> wrong = new ArrayList<>();
        try (Stream<Path> files = Files.walk(harness)) {
            for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java")
                    && !harness.relativize(p).startsWith("cli")).sorted()::iterator) {
                if (Files.readString(file).contains("picocli")) {
                    wrong.add(harness.relativize(file) + " names picocli outside harness.cli");
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    /** The scan finds what it is for: a deliberate bad import, and a name written out in full. */
    @Test
    void aDriverClassNamingHostIoIsFound(@TempDir Path dir) throws IOException {
        Path pkg = Files.createDirectories(dir.resolve("org/ubdjvm/driver"));
        Files.writeString(pkg.resolve("Bad.java"), "package org.ubdjvm.driver;\n\nimport org.ubdjvm.cow.BlockImage;\n"
                + "import org.ubdjvm.hostio.IoEngine;\n\nfinal class Bad {\n    Object e = new org.ubdjvm.harness.cli.UbdMain();\n}\n");
        assertEquals(List.of(
                "ubd-driver: org/ubdjvm/driver/Bad.java:4 names org.ubdjvm.hostio, which ubd-driver must not know",
                "ubd-driver: org/ubdjvm/driver/Bad.java:7 names org.ubdjvm.harness, which ubd-driver must not know"),
                scan(dir, "ubd-driver", MUST_NOT_NAME.get("ubd-driver")));
    }

    /** One line per offence: module, file (relative to {@code root}), line, the package named. */
    static List<String> scan(Path root, String module, List<String> forbidden) {
        List<String> wrong = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java")).sorted()::iterator) {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    Matcher m = NAMED.matcher(lines.get(i));
                    while (m.find()) {
                        if (forbidden.contains(m.group(1))) {
                            wrong.add(module + ": " + root.relativize(file) + ":" + (i + 1) + " names org.ubdjvm." + m.group(1)
                                    + ", which " + module + " must not know");
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return wrong;
    }
}
