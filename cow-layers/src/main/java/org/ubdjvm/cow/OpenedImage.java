package org.ubdjvm.cow;

/**
 * A stack {@link ImageOpener} opened: the image, whose {@code close} also closes an engine made for it, and the name
 * of the engine its files go through ({@code io_uring}, {@code sync}, ...), for reports.
 */
public record OpenedImage(BlockImage image, String engineName) {
}
