package org.ubdjvm.driver;

/** A bad {@code ubd<n>...=} argument; the message names the argument, the position and the reason. */
public final class UbdOptionException extends Exception {
    public UbdOptionException(String argument, int position, String reason) {
        super("\"" + argument + "\"" + (position >= 0 ? " at column " + (position + 1) : "") + ": " + reason);
    }
}
