package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.cow.testing.RealTools;
import org.ubdjvm.cow.testing.SfdiskImages;
import org.ubdjvm.hostio.testing.CiRule;

/**
 * A raw image partitioned by sfdisk (MBR with logicals, GPT), wrapped in a DISK and in two HEADERs of other
 * geometries: {@code ubd info} shows each geometry and the partitions sfdisk reads, {@code ubd convert
 * --partition=2} is dd of partition 2, and an ext2 in partition 2 survives verified runs on its neighbours and on
 * itself ({@code e2fsck -fn}).
 */
class DiskPartitionsTest {
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dos", "gpt"})
    void infoConvertAndRunSeeThePartitionsSfdiskMade(String label) throws Exception {
        Path raw = dir.resolve(label + ".img");
        if (label.equals("dos")) {
            SfdiskImages.mbr(raw);
        } else {
            SfdiskImages.gpt(raw);
        }
        Map<Integer, long[]> sfdisk = sfdiskJson(raw);
        Path disk = dir.resolve(label + ".disk");
        Path a = dir.resolve(label + "-a.header");
        Path b = dir.resolve(label + "-b.header");
        Ubd.run("create", "-f", "disk", "-o", "geometry=48/16/63", "-b", s(raw), s(disk)).ok();
        Ubd.run("create", "-f", "header", "-o", "geometry=24/32/63", "-b", s(raw), s(a)).ok();
        Ubd.run("create", "-f", "header", "-o", "geometry=96/16/32,pad=on", "-b", s(raw), s(b)).ok();
        Map<Path, String> geometry = new LinkedHashMap<>();
        geometry.put(disk, "48/16/63");
        geometry.put(a, "24/32/63");
        geometry.put(b, "96/16/32");
        byte[] whole = Files.readAllBytes(raw);
        long[] p2 = sfdisk.get(2);
        byte[] dd = Arrays.copyOfRange(whole, (int) (p2[0] * 512), (int) ((p2[0] + p2[1]) * 512));
        for (Map.Entry<Path, String> w : geometry.entrySet()) {
            JsonNode info = json.readTree(Ubd.run("info", "--output=json", s(w.getKey())).ok().out());
            JsonNode g = info.get("geometry");
            assertEquals(w.getValue(), g.get("cylinders") + "/" + g.get("heads") + "/" + g.get("sectors"), w.getKey() + "");
            assertEquals("image", g.get("source").asText());
            assertEquals(label, info.get("partition-table").asText());
            Map<Integer, long[]> ours = new LinkedHashMap<>();
            info.get("partitions").forEach(p -> ours.put(p.get("number").asInt(),
                    new long[] {p.get("start").asLong(), p.get("size").asLong()}));
            assertEquals(describe(sfdisk), describe(ours), "partitions of " + w.getKey());
            String human = Ubd.run("info", s(w.getKey())).ok().out();
            assertTrue(human.contains("geometry: C" + w.getValue().replace("/", "H").replaceFirst("H(\\d+)$", "S$1")
                    + " (image)\n"), human);
            Path out = dir.resolve(w.getKey().getFileName() + ".p2");
            Ubd.run("convert", "--partition=2", "-O", "raw", s(w.getKey()), s(out)).ok();
            assertArrayEquals(dd, Files.readAllBytes(out), "convert --partition=2 of " + w.getKey() + " is dd of it");
        }
        Ubd.Result none = Ubd.run("convert", "--partition=9", s(disk), s(dir.resolve("none.img")));
        assertEquals(2, none.exit(), none::toString);
        assertTrue(none.err().contains(disk + ": no partition 9 (partitions: 1, 2, 3"), none::toString);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dos", "gpt"})
    void anExt2InPartitionTwoSurvivesVerifiedRunsOnThePartitions(String label) throws Exception {
        Path mkfs = RealTools.require("mkfs.ext2", "e2fsprogs");
        Path e2fsck = RealTools.require("e2fsck", "e2fsprogs");
        Path raw = dir.resolve(label + ".img");
        if (label.equals("dos")) {
            SfdiskImages.mbr(raw);
        } else {
            SfdiskImages.gpt(raw);
        }
        long[] p2 = sfdiskJson(raw).get(2);
        RealTools.run(dir, 30, mkfs.toString(), "-q", "-F", "-E", "offset=" + p2[0] * 512, s(raw),
                String.valueOf(p2[1] / 2)).assertOk("mkfs.ext2 in partition 2");
        Path disk = dir.resolve(label + ".disk");
        Ubd.run("create", "-f", "disk", "-o", "geometry=48/16/63", "-b", s(raw), s(disk)).ok();
        // writes fill the partitions before and after 2 (a logical one, on dos: not the extended container, whose
        // first sector is the EBR) to their ends: bounded, they never reach partition 2
        Ubd.run("run", "ubd0=" + disk, "--target=ubd0p1," + (label.equals("dos") ? "ubd0p5" : "ubd0p3"), "--rw=randrw", "--verify", "--bs=4k",
                "--threads=2", "--ops=400", "--runtime=5s").ok();
        Ubd.run("run", "ubd0=" + disk, "--target=ubd0p2", "--rw=randread", "--verify", "--ops=200",
                "--runtime=5s").ok();
        Path fs = dir.resolve("p2.ext2");
        Ubd.run("convert", "--partition=2", s(disk), s(fs)).ok();
        RealTools.Run check = RealTools.run(dir, 30, e2fsck.toString(), "-fn", s(fs));
        assertEquals(0, check.exitCode(), check.stdout() + check.stderr());
        Ubd.Result unknown = Ubd.run("run", "ubd0=" + disk, "--target=ubd0p4", "--ops=1");
        assertEquals(2, unknown.exit(), unknown::toString);
        assertTrue(unknown.err().contains("--target ubda: no partition 4"), unknown::toString);
    }

    /** Partition number to {start, size} in sectors, as {@code sfdisk -J} reads the image. */
    private Map<Integer, long[]> sfdiskJson(Path raw) throws Exception {
        Path sfdisk = RealTools.find("sfdisk");
        if (sfdisk == null) {
            CiRule.skipOrFail("sfdisk not found (install the Debian package fdisk; ./test.sh does)");
        }
        JsonNode table = json.readTree(RealTools.run(dir, 30, sfdisk.toString(), "-J", s(raw))
                .assertOk("sfdisk -J").stdout()).get("partitiontable");
        Map<Integer, long[]> out = new LinkedHashMap<>();
        for (JsonNode p : table.get("partitions")) {
            String node = p.get("node").asText();
            out.put(Integer.parseInt(node.substring(node.lastIndexOf(".img") + 4)),
                    new long[] {p.get("start").asLong(), p.get("size").asLong()});
        }
        return out;
    }

    private static List<String> describe(Map<Integer, long[]> parts) {
        return parts.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()[0] + "+" + e.getValue()[1]).toList();
    }
}
