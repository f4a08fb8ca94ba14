package org.ubdjvm.harness;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte counts, read as users type them (4096, 64k, 4M: powers of 1024) and shown as qemu-img shows them. */
public final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("(\\d+)([kKmMgGtT]?)");
    private static final String UNITS = "KMGT";
    private static final String[] HUMAN = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private ByteSize() {
    }

    /**
     * Parses a non-negative byte count.
     *
     * @throws IllegalArgumentException a message ready to print
     */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid size '" + text
                    + "': expected bytes with an optional k, M, G or T suffix (powers of 1024)");
        }
        String unit = m.group(2).toUpperCase(Locale.ROOT);
        int shift = unit.isEmpty() ? 0 : 10 * (UNITS.indexOf(unit) + 1);
        try {
            long value = Long.parseLong(m.group(1));
            if (shift > 0 && value > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return value << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
    }

    /** qemu's size_to_str: three significant digits, switching unit once the number reaches 1000. */
    public static String human(long bytes) {
        int unit = 0;
        double value = bytes;
        while (value >= 1000 && unit < HUMAN.length - 1) {
            value /= 1024;
            unit++;
        }
        String digits = new BigDecimal(value).round(new MathContext(3)).stripTrailingZeros().toPlainString();
        return digits + " " + HUMAN[unit];
    }
}
