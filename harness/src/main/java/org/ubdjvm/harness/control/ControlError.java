package org.ubdjvm.harness.control;

/**
 * A command the server refuses, as QMP names it: {@code GenericError}, {@code CommandNotFound},
 * {@code DeviceNotFound}. Becomes {@code {"error": {"class": ..., "desc": ...}}}; the session goes on.
 */
final class ControlError extends Exception {
    static final String GENERIC = "GenericError";
    static final String COMMAND_NOT_FOUND = "CommandNotFound";
    static final String DEVICE_NOT_FOUND = "DeviceNotFound";

    private final String errorClass;

    ControlError(String errorClass, String desc) {
        super(desc, null, false, false);
        this.errorClass = errorClass;
    }

    static ControlError generic(String desc) {
        return new ControlError(GENERIC, desc);
    }

    String errorClass() {
        return errorClass;
    }
}
