package org.ubdjvm.hostio;

/**
 * The engine {@link IoEngines#select} made and why it is not the one asked for, if it is not.
 *
 * @param requested      the name asked for ({@code auto}, {@code io_uring}, ...)
 * @param engine         the engine to use; the caller closes it
 * @param fallbackReason empty, or one line saying why {@code auto} passed over faster engines, e.g.
 *                       {@code "io_uring_setup: ENOSYS (Function not implemented)"}
 */
public record EngineSelection(String requested, IoEngine engine, String fallbackReason) {
    public boolean fellBack() {
        return !fallbackReason.isEmpty();
    }
}
