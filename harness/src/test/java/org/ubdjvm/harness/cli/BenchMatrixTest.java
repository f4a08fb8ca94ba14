package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.RealTools;

/** {@code ubd bench --matrix} and {@code --plot}: a short matrix against real fio writes a table, JSON and PNGs. */
class BenchMatrixTest {
    /** ubd's bars and curves (and the sync engine's curves) are drawn in this colour. */
    private static final int UBD_BLUE = 0x1f77b4;

    @TempDir
    Path dir;

    /** A readable chart: the size it was drawn at, more than a few colours, and ubd's data drawn in its colour. */
    private static void assertChart(Path png) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, png + " is not an image ImageIO reads");
        assertEquals(1100, image.getWidth(), png::toString);
        assertEquals(650, image.getHeight(), png::toString);
        Set<Integer> colours = new HashSet<>();
        int ubdBlue = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                colours.add(image.getRGB(x, y));
                ubdBlue += (image.getRGB(x, y) & 0xffffff) == UBD_BLUE ? 1 : 0;
            }
        }
        assertTrue(colours.size() >= 8, png + " looks blank: " + colours.size() + " colours");
        assertTrue(ubdBlue >= 100, png + ": ubd's data is not drawn (" + ubdBlue + " pixels of its colour)");
    }

    @Test
    void aShortMatrixWritesTheTableAndThePlots() throws Exception {
        RealTools.require("fio", "fio");
        Path plots = dir.resolve("plots");
        Ubd.Result r = Ubd.run("bench", "--matrix", "--file=" + s(dir.resolve("data.img")), "--size=64M",
                "--runtime=300ms", "--ramp-time=0", "--engines=sync,io_uring", "--patterns=randread,randwrite",
                "--iodepths=1,8", "--plot=" + s(plots)).ok();
        System.out.print(r.out()); // the table, for whoever reads the test log
        List<String> rows = r.out().lines().filter(l -> l.matches("(randread|randwrite) +(sync|io_uring) +[18] .*"))
                .toList();
        assertEquals(8, rows.size(), r::toString);
        for (String row : rows) {
            String[] f = row.trim().split(" +");
            assertTrue(Double.parseDouble(f[3]) > 0 && Double.parseDouble(f[4]) > 0, row);
            assertTrue(f[5].matches("[0-9]+\\.[0-9]{2}"), "an IOPS ratio: " + row);
        }
        List<String> expected = List.of("cpu-randread.png", "cpu-randwrite.png", "iops-randread.png",
                "iops-randwrite.png", "latency-randread-qd1.png", "latency-randread-qd8.png",
                "latency-randwrite-qd1.png", "latency-randwrite-qd8.png");
        try (Stream<Path> files = Files.list(plots)) {
            assertEquals(expected, files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        for (String png : expected) {
            assertChart(plots.resolve(png));
            assertTrue(r.out().contains("plot: " + plots.resolve(png)), r::toString);
        }
    }

    @Test
    void theMatrixAsJson() throws Exception {
        RealTools.require("fio", "fio");
        Ubd.Result r = Ubd.run("bench", "--matrix", "--file=" + s(dir.resolve("data.img")), "--size=16M",
                "--runtime=200ms", "--ramp-time=0", "--engines=aio", "--patterns=read", "--iodepths=4",
                "--repeat=2", "--output=json").ok();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(2, j.get("repeats").asInt());
        JsonNode cell = j.get("cells").get(0);
        assertEquals("read", cell.get("rw").asText());
        assertEquals("aio", cell.get("engine").asText());
        assertEquals(4, cell.get("iodepth").asInt());
        assertTrue(cell.get("median-ratios").get("iops").asDouble() > 0, j::toString);
        JsonNode ubd = cell.get("report").get("repeats").get(1).get("results").get(0);
        JsonNode fio = cell.get("report").get("repeats").get(1).get("results").get(1);
        assertEquals("fio", fio.get("tool").asText());
        for (JsonNode tool : List.of(ubd, fio)) {
            JsonNode curve = tool.get("latency-curve-us");
            assertEquals(List.of("p50", "p90", "p99", "p99.9", "p99.99"), iterable(curve.fieldNames()));
            assertTrue(curve.get("p50").asDouble() > 0 && curve.get("p50").asDouble() <= curve.get("p99.99").asDouble(),
                    tool::toString);
        }
        assertEquals(0, j.get("plots").size());
    }

    @Test
    void aSingleBenchDrawsOnePng() throws Exception {
        RealTools.require("fio", "fio");
        Path png = dir.resolve("one.png");
        Ubd.Result r = Ubd.run("bench", "--file=" + s(dir.resolve("data.img")), "--size=16M", "--runtime=200ms",
                "--ramp-time=0", "--engine=sync", "--iodepth=4", "--compare=fio", "--plot=" + s(png)).ok();
        assertTrue(r.out().contains("plot: " + png), r::toString);
        assertChart(png);
    }

    @Test
    void badMatrixOptionsExit2WithOneLineBeforeAnythingRuns() {
        String file = "--file=" + s(dir.resolve("data.img"));
        String[][] cases = {
                {"--compare=qemu-img", "--compare=qemu-img does not apply"},
                {"--patterns=randrw", "--rw=randrw: bench runs read, write, randread or randwrite"},
                {"--engines=warp", "--engines: unknown I/O engine 'warp'"},
                {"--engines=auto", "--engines: name each engine"},
                {"--iodepths=0", "--iodepth must be 1..4096, not 0"},
                {"--iodepth=8", "--iodepth is a single bench's"},
                {"--engine=sync", "--engine is a single bench's"},
                {"--plot=/proc/version", "names a folder, and /proc/version is a file"}};
        for (String[] c : cases) {
            Ubd.Result r = Ubd.run("bench", "--matrix", file, "--size=16M", "--runtime=100ms", c[0]);
            assertEquals(2, r.exit(), r::toString);
            assertEquals(1, r.err().strip().lines().count(), r::toString);
            assertTrue(r.err().contains(c[1]), r::toString);
        }
        assertTrue(Files.notExists(dir.resolve("data.img")), "nothing is written before the options are checked");
    }

    private static List<String> iterable(java.util.Iterator<String> names) {
        List<String> out = new java.util.ArrayList<>();
        names.forEachRemaining(out::add);
        return out;
    }
}
