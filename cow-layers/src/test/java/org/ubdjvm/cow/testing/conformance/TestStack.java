package org.ubdjvm.cow.testing.conformance;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CheckReport;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.hostio.IoEngine;

/**
 * The image a conformance test runs on: a stack of files made in the test's directory, bottom first, how to open
 * its top, and what it must read (with which file holds each sector) when the test starts. A format's subclass of
 * {@link BlockImageConformance} builds one, e.g. a patterned raw file with a new layer of its format over it.
 */
public final class TestStack {
    /** Sector size of the files this class writes itself. */
    public static final int SECTOR = 512;

    /** Makes one file of the stack; {@code below} is the file under it, or null for the bottom file. */
    @FunctionalInterface
    public interface LayerMaker {
        void make(Path file, Path below) throws IOException;
    }

    /** Opens the top file as a disk. By default through {@link FormatTable#standard()}, probing its format. */
    @FunctionalInterface
    public interface Opener {
        BlockImage open(Path top, IoEngine engine, boolean readOnly) throws IOException;
    }

    /** Opens through the format table, as the driver and the CLI do. */
    public static final Opener FORMAT_TABLE =
            (top, engine, readOnly) -> FormatTable.standard().open(OpenSpec.of(top, engine).withReadOnly(readOnly));

    private final Path dir;
    private final IoEngine engine;
    private final List<Path> files = new ArrayList<>();
    private ImageModel model;
    private Opener opener = FORMAT_TABLE;

    private TestStack(Path dir, IoEngine engine) {
        this.dir = dir;
        this.engine = engine;
    }

    /** A raw file of {@code size} bytes (whole sectors) whose sector s reads "base s=000042 " repeated. */
    public static TestStack patternedRaw(Path dir, IoEngine engine, String name, long size) throws IOException {
        if (size <= 0 || size % SECTOR != 0) {
            throw new IllegalArgumentException("size " + size + " is not a positive number of whole sectors");
        }
        TestStack stack = new TestStack(dir, engine);
        byte[] content = new byte[Math.toIntExact(size)];
        for (int s = 0; s < size / SECTOR; s++) {
            fillSector(content, s * SECTOR, "base s=%06d ", s);
        }
        Path file = dir.resolve(name);
        Files.write(file, content, StandardOpenOption.CREATE_NEW);
        stack.files.add(file);
        stack.model = new ImageModel(content, SECTOR);
        return stack;
    }

    /** A bottom file made by {@code maker} (a format with no backing), reading zeros over {@code capacity} bytes. */
    public static TestStack zeroed(Path dir, IoEngine engine, String name, long capacity, LayerMaker maker)
            throws IOException {
        TestStack stack = new TestStack(dir, engine);
        Path file = dir.resolve(name);
        maker.make(file, null);
        stack.files.add(file);
        stack.model = new ImageModel(new byte[Math.toIntExact(capacity)], SECTOR);
        return stack;
    }

    /**
     * The stack serves whole blocks of {@code size} bytes (an O_DIRECT stack reports the file system's block as its
     * sector size), so the suite's requests are counted in those; call before any layer goes on.
     */
    public TestStack inSectorsOf(int size) {
        model = model.inSectorsOf(size);
        return this;
    }

    /** Puts a new, empty file over the top: it holds no sector, so it reads what the stack read before. */
    public TestStack over(String name, LayerMaker maker) throws IOException {
        Path file = dir.resolve(name);
        maker.make(file, top());
        files.add(file);
        model.addLayer();
        return this;
    }

    /**
     * Writes each sector {@code which} accepts into the top file through the image ("{@code label} s=000042 "
     * repeated), then closes it; the lower files of a stack get their content this way before the next goes on.
     */
    public TestStack write(LongPredicate which, String label) throws IOException {
        try (BlockImage image = open(false)) {
            for (long s = 0; s < model.sectors(); s++) {
                if (which.test(s)) {
                    byte[] data = new byte[SECTOR];
                    fillSector(data, 0, label + " s=%06d ", s);
                    BlockIo.write(image, s * SECTOR, ByteBuffer.wrap(data));
                    model.write(s * SECTOR, data);
                }
            }
        }
        return this;
    }

    /** Opens the top with {@code opener} instead: test code wraps a real format in a broken one this way. */
    public TestStack openedBy(Opener other) {
        this.opener = other;
        return this;
    }

    /**
     * Checks every file of the stack, bottom first, with its format's {@code check} (no repair), through
     * {@link FormatTable#standard()}; the image must be closed.
     */
    public List<CheckReport> check() throws IOException {
        List<CheckReport> reports = new ArrayList<>();
        for (Path f : files) {
            reports.add(FormatTable.standard().check(OpenSpec.of(f, engine).withReadOnly(true), false));
        }
        return reports;
    }

    /** Opens the top; every call gives a new image, which the caller closes. */
    public BlockImage open(boolean readOnly) throws IOException {
        return opener.open(top(), engine, readOnly);
    }

    public Path top() {
        return files.get(files.size() - 1);
    }

    /** The files, bottom first. */
    public List<Path> files() {
        return List.copyOf(files);
    }

    IoEngine engine() {
        return engine;
    }

    Path dir() {
        return dir;
    }

    /** What the stack reads now; the suite's model starts as a copy of it. */
    ImageModel model() {
        return model.copy();
    }

    /** {@code text} formatted with {@code sector}, repeated over one sector: readable in failure messages. */
    private static void fillSector(byte[] into, int at, String format, long sector) {
        byte[] text = String.format(format, sector).getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < SECTOR; i++) {
            into[at + i] = text[i % text.length];
        }
    }
}
