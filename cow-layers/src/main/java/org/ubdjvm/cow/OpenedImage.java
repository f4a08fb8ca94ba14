package org.ubdjvm.cow;

import java.util.function.Supplier;

/**
 * A stack {@link ImageOpener} opened: the image, whose {@code close} also closes an engine made for it, the name
 * of the engine its files go through ({@code io_uring}, {@code sync}, ...), for reports, and what that engine holds
 * right now (its {@code describeInFlight()}: requests, kernel ring indexes), for timeout messages.
 */
public record OpenedImage(BlockImage image, String engineName, Supplier<String> engineInFlight) {
}
