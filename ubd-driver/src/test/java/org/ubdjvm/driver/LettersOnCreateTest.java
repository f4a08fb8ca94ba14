package org.ubdjvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.SyncEngine;

/** P, L and B<n> shape the COW file a device creates on open, through its format's options. */
class LettersOnCreateTest {
    @TempDir
    Path dir;

    private ImageInfo info(Path file) throws IOException {
        try (SyncEngine e = new SyncEngine();
             BlockImage image = FormatTable.standard().open(OpenSpec.of(file, e).withReadOnly(true))) {
            return image.info();
        }
    }

    @Test
    void padKeepNameAndSectorSizeReachTheNewLayer() throws Exception {
        Path back = Disks.patternedRaw(dir.resolve("back.img"), 256 * 1024);
        Path link = Files.createSymbolicLink(dir.resolve("link.img"), back);
        List<String> notes = new ArrayList<>();
        try (SyncEngine engine = new SyncEngine();
             DeviceTable table = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)).withWarnings(notes::add))) {
            UbdDevice d = table.add("ubd0PLB4096=" + dir.resolve("new.cow") + "," + link);
            assertEquals(4096, d.sectorSize());
            UbdDevice plain = table.add("ubd1=" + dir.resolve("plain.cow") + "," + link);
            assertEquals(512, plain.sectorSize());
            IOException v2 = assertThrows(IOException.class, () -> table.add("ubd2PV2=" + dir.resolve("v2.cow") + "," + back));
            assertTrue(v2.getMessage().endsWith("cannot be aligned or padded; use version 3"), v2.getMessage());
        }
        ImageInfo made = info(dir.resolve("new.cow"));
        assertEquals(link.toString(), made.backingFilename(), "L: the link's name, as given");
        assertEquals(0L, (Long) made.formatSpecific().get("bitmap-offset") % 512, "P: a padded header");
        assertEquals(link.toString(), info(dir.resolve("plain.cow")).backingFilename(),
                "uml_mkcow's rule keeps a last component that is a link, but resolves its directory");
        assertTrue(notes.contains("warning: sector size 4096: the UML kernel reads every COW file as 512-byte sectors"
                + " and misplaces its writes in this one; give it to ubd and uml_moo only"), notes.toString());
    }
}
