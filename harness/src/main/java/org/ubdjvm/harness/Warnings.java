package org.ubdjvm.harness;

import java.io.PrintWriter;
import java.util.function.Consumer;

/** Notices from the image layers, one line each on stderr, marked so scripts can tell them from errors. */
public final class Warnings {
    private static final String PREFIX = "warning: ";

    private Warnings() {
    }

    public static Consumer<String> to(PrintWriter err) {
        // cow-layers words some notices with "warning: " and some without; print them all the same way
        return w -> err.println("ubd: " + PREFIX + (w.startsWith(PREFIX) ? w.substring(PREFIX.length()) : w));
    }
}
