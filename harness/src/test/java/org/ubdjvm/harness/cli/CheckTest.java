package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.cow.testing.OverlappedCow;
import org.ubdjvm.cow.testing.RealTools;

/**
 * {@code ubd check}: qemu-img check's exit codes (0 clean, 1 not completed, 2 corruptions, 3 leaks only), its JSON
 * keys, and the repair of a V2 whose bitmap overlaps its data (issue 14's acceptance). Each exit code failed once
 * with the command's mapping changed.
 */
class CheckTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path cowWithWrites() throws IOException {
        Path back = Ubd.patterned(dir.resolve("back.img"), 1 << 20);
        Path cow = dir.resolve("disk.cow");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(cow)).ok();
        Ubd.run("io", "-c", "write -P 0xab 64k 8k", s(cow)).ok();
        return cow;
    }

    @Test
    void aHealthyImageIsCleanInQemuImgsWords() throws IOException {
        Ubd.Result r = Ubd.run("check", s(cowWithWrites())).ok();
        assertTrue(r.out().contains("No errors were found on the image.\n"), r::toString);
        assertTrue(r.out().contains("16/2048 = 0.78% allocated clusters (sectors)"), r::toString);
    }

    @Test
    void theJsonHasTheKeysQemuImgCheckGivesForAQcow2() throws Exception {
        RealTools.require("qemu-img", "qemu-utils");
        RealTools.run(dir, 30, "qemu-img", "create", "-q", "-f", "qcow2", "q.qcow2", "1M").assertOk("qemu-img create");
        RealTools.run(dir, 30, "qemu-io", "-c", "write 0 64k", "q.qcow2").assertOk("qemu-io");
        JsonNode qemu = JSON.readTree(RealTools.run(dir, 30, "qemu-img", "check", "--output=json", "q.qcow2")
                .assertOk("qemu-img check").stdout());
        JsonNode ours = JSON.readTree(Ubd.run("check", "--output=json", s(cowWithWrites())).ok().out());
        assertEquals(keys(qemu), keys(ours));
        assertEquals(0, ours.get("check-errors").asInt());
        assertEquals(16, ours.get("allocated-clusters").asInt());
    }

    @Test
    void anOverlappingV2BitmapIsACorruptionThatRepairAllFixes() throws IOException {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), OverlappedCow.SIZE);
        Path cow = OverlappedCow.v2(dir.resolve("v2.cow"), back);
        Ubd.run("io", "-c", "write -P 0x5a 0 4k", s(cow)).ok();
        Ubd.run("convert", "-O", "raw", s(cow), s(dir.resolve("before.img"))).ok();

        Ubd.Result found = Ubd.run("check", s(cow));
        assertEquals(CheckCommand.CORRUPTIONS, found.exit(), found::toString);
        assertTrue(found.out().contains("bitmap overlaps data"), found::toString);
        assertTrue(found.out().contains("1 errors were found on the image."), found::toString);
        assertEquals(CheckCommand.CORRUPTIONS, Ubd.run("check", "-r", "leaks", s(cow)).exit());

        Ubd.Result fixed = Ubd.run("check", "-r", "all", "--output=json", s(cow));
        assertEquals(CheckCommand.CLEAN, fixed.exit(), fixed::toString);
        JsonNode report = JSON.readTree(fixed.out());
        assertEquals(1, report.get("corruptions-fixed").asInt(), fixed::toString);
        assertFalse(report.has("corruptions"), fixed::toString);

        Ubd.run("check", s(cow)).ok();
        assertEquals(CompareCommand.IDENTICAL, Ubd.run("compare", s(cow), s(dir.resolve("before.img"))).exit());
    }

    @Test
    void leaksOnlyExitThreeAndRepairLeaksFixesThem() throws IOException {
        Path cow = cowWithWrites();
        try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "rw")) {
            f.setLength(f.length() + 1000);
        }
        Ubd.Result found = Ubd.run("check", s(cow));
        assertEquals(CheckCommand.LEAKS, found.exit(), found::toString);
        assertTrue(found.out().contains("1 leaked clusters were found on the image."), found::toString);
        Ubd.Result fixed = Ubd.run("check", "-r", "leaks", s(cow));
        assertEquals(CheckCommand.CLEAN, fixed.exit(), fixed::toString);
        assertTrue(fixed.out().contains("Double checking the fixed image now..."), fixed::toString);
        Ubd.run("check", s(cow)).ok();
    }

    @Test
    void aFileThatCannotBeReadAsItsFormatIsACheckNotCompleted() throws IOException {
        Path raw = Files.write(dir.resolve("plain.img"), new byte[4096]);
        Ubd.Result r = Ubd.run("check", "-f", "cow", s(raw));
        assertEquals(CheckCommand.NOT_COMPLETED, r.exit(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.err().contains(s(raw)), r::toString);
    }

    private static Set<String> keys(JsonNode node) {
        Set<String> keys = new TreeSet<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }
}
