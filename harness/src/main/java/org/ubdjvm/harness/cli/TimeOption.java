package org.ubdjvm.harness.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** A time given on the command line as fio writes it: a number and us, ms, s (the default) or m. */
final class TimeOption {
    private static final Pattern TIME = Pattern.compile("(\\d+)(us|ms|s|m)?");

    private TimeOption() {
    }

    /** @throws ParameterException one line naming {@code option}: a usage error of {@code command} */
    static Duration parse(CommandSpec command, String option, String text) {
        try {
            return parse(option, text);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(command.commandLine(), e.getMessage());
        }
    }

    private static Duration parse(String option, String text) {
        Matcher m = TIME.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException(option + ": expected e.g. 50us, 300ms, 10s or 1m, not '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "us" -> Duration.ofNanos(n * 1000);
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
        };
    }
}
