package org.ubdjvm.props;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files of one jqwik try (jqwik has no per-try @TempDir): a temporary directory, a fresh subdirectory for
 * each sequence started in it (shrinking may start several), and whatever was opened there, closed and deleted
 * when the try ends.
 */
final class Trial implements Closeable {
    private final Path root;
    private final List<Closeable> open = new ArrayList<>();

    private Trial(Path root) {
        this.root = root;
    }

    static Trial start() throws IOException {
        return new Trial(Files.createTempDirectory(parent(), "ubd-props-"));
    }

    /**
     * {@code -Dprops.tmpdir=DIR} if given, else /dev/shm where there is one, else the JVM's temporary directory.
     * The fdatasyncs of every flush and close dominate the run time on a shared disk and vary a lot there; what
     * the properties check (file contents, and the order of syncs as the engine reports them) does not depend on
     * the device.
     */
    private static Path parent() {
        String chosen = System.getProperty("props.tmpdir");
        if (chosen != null && !chosen.isBlank()) {
            return Path.of(chosen);
        }
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** A disk with the files of {@code setup}, in a directory of its own, its top open read-write. */
    DiskUnderTest newDisk(DiskSetup setup) {
        try {
            DiskUnderTest disk = DiskUnderTest.create(Files.createTempDirectory(root, "seq-"), setup);
            open.add(disk);
            return disk;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up " + setup + " in " + root, e);
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Closeable c : open) {
            try {
                c.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        open.clear();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
