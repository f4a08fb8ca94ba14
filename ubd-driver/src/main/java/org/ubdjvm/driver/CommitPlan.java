package org.ubdjvm.driver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.ubdjvm.cow.ImageInfo;

/**
 * A background commit's layers, resolved against the device's stack when it is asked for: depth 0 is the active top.
 * Layers {@code topDepth .. baseDepth-1} are merged into {@code baseDepth}; the layer at {@code topDepth - 1} (the
 * active top, or a layer between it and the merged ones) gets the base as its backing file.
 *
 * @param files            the stack's files, top first
 * @param formats          their formats
 * @param aboveMtimeNanos  the mtime of the layer above the merged ones, which the layer over it records (unused when
 *                         that layer is the active top)
 */
record CommitPlan(List<Path> files, List<String> formats, int topDepth, int baseDepth, long aboveMtimeNanos,
                  long speed) {

    static CommitPlan of(String device, ImageInfo stack, CommitRequest request) throws IOException {
        List<Path> files = new ArrayList<>();
        List<String> formats = new ArrayList<>();
        for (ImageInfo layer = stack; layer != null; layer = layer.backing()) {
            files.add(layer.filename());
            formats.add(layer.format());
        }
        if (files.size() < 3) {
            throw new IOException(device + ": nothing to commit in the background: the stack is " + chain(files)
                    + "; the active top is the guest's (commit it offline: ubd commit), and a background commit merges"
                    + " the layers below it, of which there must be two");
        }
        int top = request.top() == null ? 1 : depthOf(device, files, request.top(), "top");
        int base = request.base() == null ? files.size() - 1 : depthOf(device, files, request.base(), "base");
        if (top == 0) {
            throw new IOException(device + ": " + files.get(0) + " is the active top (the guest writes it): committing"
                    + " the active layer is not supported; commit a layer below it, or snapshot first");
        }
        if (base <= top) {
            throw new IOException(device + ": base " + files.get(base) + " must lie below top " + files.get(top)
                    + " (stack: " + chain(files) + ")");
        }
        long aboveMtime = top > 1 ? Files.getLastModifiedTime(files.get(top - 1)).to(TimeUnit.NANOSECONDS) : 0;
        return new CommitPlan(List.copyOf(files), List.copyOf(formats), top, base, aboveMtime,
                request.speedBytesPerSecond());
    }

    private static int depthOf(String device, List<Path> files, Path file, String what) throws IOException {
        for (int d = 0; d < files.size(); d++) {
            if (sameFile(file, files.get(d))) {
                return d;
            }
        }
        throw new IOException(device + ": " + what + " " + file + " is not a layer of the stack (" + chain(files) + ")");
    }

    /** The same file by device and inode, however it is named (a remote layer by its name). */
    private static boolean sameFile(Path a, Path b) {
        try {
            return a.equals(b) || Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    private static String chain(List<Path> files) {
        return String.join(" -> ", files.stream().map(Path::toString).toList());
    }

    Path active() {
        return files.get(0);
    }

    /** The layer whose backing file becomes the base. */
    Path above() {
        return files.get(topDepth - 1);
    }

    Path top() {
        return files.get(topDepth);
    }

    /** The layer just above the base: the journal lies beside it. */
    Path child() {
        return files.get(baseDepth - 1);
    }

    Path base() {
        return files.get(baseDepth);
    }

    String format(int depth) {
        return formats.get(depth);
    }
}
