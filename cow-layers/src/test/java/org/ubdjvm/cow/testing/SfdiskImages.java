package org.ubdjvm.cow.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Raw disk images partitioned by the real {@code sfdisk} (util-linux), and what {@code sfdisk --dump} reads back:
 * the reference for every partition-table test. Skips (fails with CI=true) without sfdisk.
 */
public final class SfdiskImages {
    /** 24 MiB: room for a few partitions of a few MiB, an ext2 among them. */
    public static final long SIZE = 24L << 20;
    private static final Pattern LINE = Pattern.compile("(\\d+) : start=\\s*(\\d+), size=\\s*(\\d+)");

    private SfdiskImages() {
    }

    /** Primaries 1 and 2 (2 MiB, 4 MiB), extended 3 holding logicals 5 (2 MiB) and 6 (the rest). */
    public static Path mbr(Path file) throws IOException, InterruptedException {
        return partition(file, "label: dos\nstart=2048, size=4096, type=83\nstart=6144, size=8192, type=83\n"
                + "start=14336, type=5\nstart=16384, size=4096, type=83\nstart=22528, type=83\n");
    }

    /** GPT partitions 1 (2 MiB), 2 (4 MiB, named "data"), 3 (the rest but the backup table). */
    public static Path gpt(Path file) throws IOException, InterruptedException {
        return partition(file, "label: gpt\nstart=2048, size=4096\nstart=6144, size=8192, name=data\n"
                + "start=14336, size=20480\n");
    }

    private static Path partition(Path file, String script) throws IOException, InterruptedException {
        Path sfdisk = RealTools.require("sfdisk", "fdisk");
        try (var f = Files.newByteChannel(file, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            f.truncate(0);
        }
        new java.io.RandomAccessFile(file.toFile(), "rw").setLength(SIZE);
        Path in = Files.writeString(file.resolveSibling(file.getFileName() + ".sfdisk"), script);
        RealTools.Run run = RealTools.run(file.getParent(), 30, "sh", "-c",
                sfdisk + " -q --no-reread --no-tell-kernel '" + file + "' < '" + in + "'");
        run.assertOk("sfdisk " + file);
        Files.delete(in);
        return file;
    }

    /** Partition number to {start, size} in 512-byte sectors, as {@code sfdisk --dump} reads the image. */
    public static Map<Integer, long[]> dump(Path image) throws IOException, InterruptedException {
        Path sfdisk = RealTools.require("sfdisk", "fdisk");
        String out = RealTools.run(image.getParent(), 30, sfdisk.toString(), "--dump", image.toString())
                .assertOk("sfdisk --dump").stdout();
        Map<Integer, long[]> parts = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (m.find()) {
                parts.put(Integer.parseInt(m.group(1)), new long[] {Long.parseLong(m.group(2)), Long.parseLong(m.group(3))});
            }
        }
        return parts;
    }
}
