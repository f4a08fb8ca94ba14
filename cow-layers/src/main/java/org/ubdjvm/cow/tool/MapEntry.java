package org.ubdjvm.cow.tool;

import java.nio.file.Path;

/**
 * One run of {@code ubd map}, with qemu-img map's fields: where a read of {@code [start, start + length)} gets
 * its bytes.
 *
 * @param depth    the layer that holds the run (0 the top); for a run no layer holds, the bottom layer's depth
 * @param present  whether a layer holds it (false: it reads as zeros from no file)
 * @param zero     whether it is known to read as zeros without reading
 * @param data     whether a layer holds bytes for it
 * @param filename the file of layer {@code depth}
 */
public record MapEntry(long start, long length, int depth, boolean present, boolean zero, boolean data,
                       Path filename) {
}
