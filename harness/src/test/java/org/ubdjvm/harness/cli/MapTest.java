package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.RealTools;

/**
 * {@code ubd map --output=json} of a V3 over a raw backing agrees with {@code qemu-img map --output=json} of a qcow2
 * with 512-byte clusters (the COW's granularity) over the same backing after the same writes through qemu-io: the
 * same runs with the same depth, present, zero and data. qemu also splits a run where the qcow2 clusters behind
 * it are not contiguous in its file ({@code offset}, which ubd does not report), so its runs are merged by those
 * four fields first. Random writes; rerun one with {@code -Dubd.test.seed=N}. (Failed once with the map's depth
 * of backing runs off by one.)
 */
class MapTest {
    private static final int SIZE = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void agreesWithQemuImgMapOnTheSameWrites() throws Exception {
        RealTools.require("qemu-img", "qemu-utils");
        RealTools.require("qemu-io", "qemu-utils");
        long seed = Long.getLong("ubd.test.seed", System.nanoTime());
        Random random = new Random(seed);
        Path back = Ubd.patterned(dir.resolve("back.img"), SIZE);
        Path cow = dir.resolve("top.cow");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(cow)).ok();
        RealTools.run(dir, 30, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "-F", "raw",
                "-b", s(back), "top.qcow2").assertOk("qemu-img create");

        List<String> qemuIo = new ArrayList<>(List.of("qemu-io"));
        List<String> ubdIo = new ArrayList<>(List.of("io"));
        for (int i = 0; i < 20; i++) {
            int sectors = 1 + random.nextInt(32);
            int first = random.nextInt(SIZE / 512 - sectors);
            String write = "write -P " + random.nextInt(256) + " " + first * 512 + " " + sectors * 512;
            qemuIo.addAll(List.of("-c", write));
            ubdIo.addAll(List.of("-c", write));
        }
        qemuIo.add("top.qcow2");
        ubdIo.add(s(cow));
        RealTools.run(dir, 60, qemuIo.toArray(String[]::new)).assertOk("qemu-io");
        assertEquals(0, Ubd.run(ubdIo.toArray(String[]::new)).exit());

        String qemu = RealTools.run(dir, 30, "qemu-img", "map", "--output=json", "top.qcow2").assertOk("qemu-img map")
                .stdout();
        String ours = Ubd.run("map", "--output=json", s(cow)).ok().out();
        assertEquals(runs(qemu), runs(ours), "seed " + seed + "\nqemu-img map:\n" + qemu + "\nubd map:\n" + ours);
    }

    /** One line per run: start, length, depth, present, zero, data; adjacent equal runs merged. */
    private static List<String> runs(String json) throws Exception {
        List<String> runs = new ArrayList<>();
        long start = 0;
        long length = 0;
        String fields = null;
        for (JsonNode e : JSON.readTree(json)) {
            String f = e.get("depth") + " " + e.get("present") + " " + e.get("zero") + " " + e.get("data");
            if (f.equals(fields)) {
                length += e.get("length").asLong();
                continue;
            }
            if (fields != null) {
                runs.add(start + "+" + length + " " + fields);
            }
            start = e.get("start").asLong();
            length = e.get("length").asLong();
            fields = f;
        }
        runs.add(start + "+" + length + " " + fields);
        return runs;
    }
}
