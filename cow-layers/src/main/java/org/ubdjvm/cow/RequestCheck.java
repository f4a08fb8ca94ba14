package org.ubdjvm.cow;

import java.nio.file.Path;

/** The checks every layer applies before touching anything: alignment, range, read-only. */
final class RequestCheck {
    private RequestCheck() {
    }

    /** Null when the request is good, else the error to complete it with. */
    static ImageException check(Path file, BlockImage image, long offset, long length, boolean write) {
        int ss = image.sectorSize();
        if (offset < 0 || offset % ss != 0) {
            return new ImageException(file, "offset " + offset + " is not a multiple of the sector size " + ss);
        }
        if (length < 0 || length % ss != 0) {
            return new ImageException(file, "length " + length + " is not a multiple of the sector size " + ss);
        }
        if (length > image.capacity() - offset) { // not offset + length: that wraps for offsets near Long.MAX_VALUE
            return new ImageException(file, "request " + offset + "+" + length + " ends past the end of the device ("
                    + image.capacity() + " bytes)");
        }
        if (write && image.readOnly()) {
            return new ImageException(file, "write at offset " + offset + " refused: image is open read-only");
        }
        return null;
    }
}
