package org.ubdjvm.driver;

import java.nio.file.Path;

/**
 * What a background commit ({@link UbdDevice#commit}) merges. Layers are chosen by file (the same file by inode, as
 * {@code ubd commit -b} does), never by position, so a script names what it sees in {@code query-devices}.
 *
 * @param top                 the uppermost layer to merge down; null: the layer just below the device's active top.
 *                            The active top itself cannot be merged (it takes the guest's writes): refused
 * @param base                the layer merged into, below {@code top}; null: the bottom layer of the stack
 * @param speedBytesPerSecond at most this many bytes copied a second; 0: as fast as the host goes
 */
public record CommitRequest(Path top, Path base, long speedBytesPerSecond) {
    public CommitRequest {
        if (speedBytesPerSecond < 0) {
            throw new IllegalArgumentException("speed must be 0 (unthrottled) or positive, not " + speedBytesPerSecond);
        }
    }

    /** The layer below the active top into the bottom layer, unthrottled. */
    public static CommitRequest defaults() {
        return new CommitRequest(null, null, 0);
    }

    public CommitRequest withTop(Path t) {
        return new CommitRequest(t, base, speedBytesPerSecond);
    }

    public CommitRequest withBase(Path b) {
        return new CommitRequest(top, b, speedBytesPerSecond);
    }

    public CommitRequest withSpeed(long bytesPerSecond) {
        return new CommitRequest(top, base, bytesPerSecond);
    }
}
