package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.RawFormat;
import org.ubdjvm.cow.UmlCowFormat;
import org.ubdjvm.hostio.IoEngine;

/**
 * The stack {@code ubd demo} builds and checks: a raw disk, then UML COW V1, V2 and V3 each over the one below,
 * every layer written with its own text pattern, and an in-memory copy of what the top must read. Each layer is
 * written and closed before the next is created over it: the new header records the lower file's mtime, and a
 * later write to that file would make the kernel (and we) refuse the stack.
 */
final class DemoStack {
    static final int DISK_SIZE = 4 << 20;
    static final int SECTOR = 512;
    static final int SECTORS = DISK_SIZE / SECTOR;
    private static final int RUNS_PER_LAYER = 40;
    private static final int MAX_RUN = 32;

    /** One COW layer's writes. */
    record Writes(int runs, int sectors) {
    }

    /** A full read of the top compared with the expectation. */
    record Check(int sectors, int mismatches, int firstBadSector) {
    }

    private final Path dir;
    private final IoEngine engine;
    private final Random random;
    private final Consumer<String> warnings;
    private final byte[] expected = new byte[DISK_SIZE];
    private final List<Writes> writes = new ArrayList<>();

    DemoStack(Path dir, IoEngine engine, long seed, Consumer<String> warnings) {
        this.dir = dir;
        this.engine = engine;
        this.random = new Random(seed);
        this.warnings = warnings;
    }

    /** The writes into layers 1..3, bottom up. */
    List<Writes> writes() {
        return writes;
    }

    /** Builds the stack and returns the top file. */
    Path build() throws IOException {
        Path below = dir.resolve("back.img");
        CreateCommand.create(FormatTable.standard(), CreateSpec.of(below, RawFormat.NAME).withSize(DISK_SIZE)
                .withWarnings(warnings));
        try (BlockImage back = open(below, false)) {
            write(back, 0, SECTORS, "back");
        }
        for (int version = 1; version <= 3; version++) {
            Path cow = dir.resolve("layer" + version + "-v" + version + ".cow");
            CreateCommand.create(FormatTable.standard(), CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(below)
                    .withOption("version", String.valueOf(version)).withWarnings(warnings));
            try (BlockImage layer = open(cow, false)) {
                writeRandomRuns(layer, "v" + version);
            }
            below = cow;
        }
        return below;
    }

    BlockImage open(Path file, boolean readOnly) throws IOException {
        return FormatTable.standard().open(OpenSpec.of(file, engine).withReadOnly(readOnly).withWarnings(warnings));
    }

    /** Reads every sector through the chain and compares it with what was written where. */
    Check verify(BlockImage top) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        int mismatches = 0;
        int first = -1;
        for (int at = 0; at < DISK_SIZE; at += buf.capacity()) {
            buf.clear();
            BlockIo.read(top, at, buf);
            for (int s = 0; s < buf.capacity() / SECTOR; s++) {
                int off = at + s * SECTOR;
                if (Arrays.mismatch(buf.array(), s * SECTOR, (s + 1) * SECTOR, expected, off, off + SECTOR) >= 0) {
                    mismatches++;
                    first = first < 0 ? off / SECTOR : first;
                }
            }
        }
        return new Check(SECTORS, mismatches, first);
    }

    /** Layers bottom first, as the reopened files describe themselves. */
    static List<ImageInfo> chain(BlockImage top) throws IOException {
        List<ImageInfo> layers = new ArrayList<>();
        for (ImageInfo i = top.info(); i != null; i = i.backing()) {
            layers.add(0, i);
        }
        return layers;
    }

    private void writeRandomRuns(BlockImage layer, String tag) throws IOException {
        int sectors = 0;
        for (int r = 0; r < RUNS_PER_LAYER; r++) {
            int count = 1 + random.nextInt(MAX_RUN);
            int first = random.nextInt(SECTORS - count + 1);
            write(layer, first, count, tag);
            sectors += count;
        }
        writes.add(new Writes(RUNS_PER_LAYER, sectors));
    }

    /** Sector s gets the text "TAG NNNNNN " repeated, so a hex dump shows which layer it came from. */
    private void write(BlockImage image, int first, int count, String tag) throws IOException {
        for (int s = first; s < first + count; s++) {
            byte[] text = String.format("%s %06d ", tag, s).getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < SECTOR; i++) {
                expected[s * SECTOR + i] = text[i % text.length];
            }
        }
        BlockIo.write(image, (long) first * SECTOR, ByteBuffer.wrap(expected, first * SECTOR, count * SECTOR));
    }
}
