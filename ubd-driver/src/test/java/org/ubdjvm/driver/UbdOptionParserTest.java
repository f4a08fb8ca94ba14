package org.ubdjvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UbdOptionParserTest {
    @Test
    void kernelFormsParse() throws UbdOptionException {
        DeviceSpec plain = UbdOptionParser.parse("ubd0=root.img");
        assertEquals(0, plain.unit());
        assertEquals(Path.of("root.img"), plain.file());
        assertNull(plain.backing());
        assertEquals(DeviceFlags.DEFAULT, plain.flags());

        DeviceSpec cow = UbdOptionParser.parse("ubd1=cow.img,back.img");
        assertEquals(Path.of("back.img"), cow.backing());
        assertEquals("ubdb", cow.name());
        assertEquals(Path.of("back.img"), UbdOptionParser.parse("ubd1=cow.img:back.img").backing(), "':' works too");
        assertEquals("SER1", UbdOptionParser.parse("ubd1=cow.img,back.img,SER1").serial());
        assertEquals(2, UbdOptionParser.parse("ubdc=x.img").unit(), "a letter is a unit too");
        assertEquals(15, UbdOptionParser.parse("ubd15=x.img").unit());
    }

    /** A backing (or file) in URI form keeps its ':'s; only ',' ends it. */
    @Test
    void uriNamesKeepTheirColons() throws UbdOptionException {
        DeviceSpec nbd = UbdOptionParser.parse("ubd0=top.cow,nbd+unix:///?socket=/run/s.sock");
        assertEquals(Path.of("top.cow"), nbd.file());
        assertEquals(Path.of("nbd+unix:///?socket=/run/s.sock"), nbd.backing());
        DeviceSpec tcp = UbdOptionParser.parse("ubd1=top.cow:nbd://host:10809/disk,SER2");
        assertEquals(Path.of("nbd://host:10809/disk"), tcp.backing());
        assertEquals("SER2", tcp.serial());
        assertEquals(Path.of("nbd://host/x"), UbdOptionParser.parse("ubd2r=nbd://host/x").file());
        assertEquals(Path.of("b.img"), UbdOptionParser.parse("ubd3=a:b.img").backing(), "no scheme: ':' separates");
    }

    @Test
    void everyKernelFlag() throws UbdOptionException {
        DeviceFlags f = UbdOptionParser.parse("ubd0rsct=x.img").flags();
        assertTrue(f.readOnly() && f.syncWrites() && f.shared() && f.noTrim());
        assertFalse(f.data());
        assertTrue(UbdOptionParser.parse("ubd0d=x.img").flags().data());
        assertTrue(UbdOptionParser.parse("ubdar=x.img").flags().readOnly(), "unit a, flag r");
    }

    @Test
    void everySeedLetter() throws UbdOptionException {
        DeviceFlags f = UbdOptionParser.parse("ubd1C102H15S16RSPLA0V2B4096M2.8=disk.img").flags();
        assertEquals(new Geometry(102, 15, 16), f.geometry());
        assertTrue(f.readOnly() && f.syncWrites() && f.padHeader() && f.keepSymlinks());
        assertEquals(AioMode.OFF, f.aio());
        assertEquals(2, f.createVersion());
        assertEquals(4096, f.sectorSize());
        assertEquals(new MmapUnits(2, 8), f.mmap());
        assertEquals(AioMode.ON, UbdOptionParser.parse("ubd0A=x").flags().aio());
        assertEquals(AioMode.ON, UbdOptionParser.parse("ubd0A1=x").flags().aio());
        assertEquals(AioMode.AUTO, UbdOptionParser.parse("ubd0=x").flags().aio());
        assertTrue(UbdOptionParser.parse("ubd0D=x").flags().data());
        assertTrue(UbdOptionParser.parse("ubd0U=x,y").flags().updateInPlace());
        assertEquals(new MmapUnits(4, 0), UbdOptionParser.parse("ubd0M4=x").flags().mmap());
        assertEquals(0, UbdOptionParser.parse("ubd0V0=x").flags().createVersion());
        assertEquals(5, UbdOptionParser.parse("ubd0T5=x").flags().requestTimeoutSeconds());
        assertEquals(0, UbdOptionParser.parse("ubd0=x").flags().requestTimeoutSeconds(), "0: the table's default");
        assertTrue(UbdOptionParser.parse("ubd0tT30=x").flags().noTrim(), "t (no discard) and T<n> are two letters");
        assertEquals(16384, UbdOptionParser.parse("ubd0M4=x").flags().mmap().bitmapBytes(), "bitmap pages of 16 KiB");
        assertEquals(64, UbdOptionParser.parse("ubd0K64=x").flags().metadataCacheKiB());
        assertEquals(0, UbdOptionParser.parse("ubd0=x").flags().metadataCacheKiB(), "0: the table's default");
        assertTrue(UbdOptionParser.parse("ubd0O=x").flags().direct());
        assertFalse(UbdOptionParser.parse("ubd0=x").flags().direct());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "root.img                     | expected ubd<n>[flags]=file[,backing]",
            "ubd=x                        | Couldn't parse device number",
            "ubd16=x                      | Device number out of range",
            "ubd0r                        | Missing '='",
            "ubd0q=x                      | at column 5: Expected '=' or flag letter",
            "ubd0rr=x                     | flag 'r' given twice",
            "ubd0rR=x                     | flag 'R' given twice",
            "ubd0=                        | missing file name",
            "ubd0d=cow,back               | Can't specify both 'd' and a cow file",
            "ubd0V0=cow,back              | V0 (raw, no COW) and a backing file exclude each other",
            "ubd0V9=x                     | V (header version) must be from 0 to 4, not 9",
            "ubd0V=x                      | flag 'V' needs a number",
            "ubd0C102H15=x                | a geometry needs all of C, H and S<n>",
            "ubd0C102H300S16=x            | H (heads) must be from 1 to 255, not 300",
            "ubd0C102H15S64=x             | S (sectors per track) must be from 1 to 63, not 64",
            "ubd0B1000=x                  | B (sector size) must be a power of two",
            "ubd0A2=x                     | A takes 0 (AIO off) or 1 (on)",
            "ubd0C9999999999H1S1=x        | number too large",
            "ubd0rU=x,y                   | cannot be combined with r",
            "ubd0=a,b,c,d                 | too many names",
            "ubd0T=x                      | flag 'T' needs a number",
            "ubd0T0=x                     | T (request timeout in seconds) must be from 1 to 86400, not 0",
            "ubd0T5T6=x                   | flag 'T' given twice",
            "ubd0M3=x                     | M's bitmap unit must be a power of two pages (1, 2, 4, ...), not 3",
            "ubd0M0=x                     | M's bitmap unit (pages) must be from 1 to 4096, not 0",
            "ubd0K0=x                     | K (metadata cache in KiB) must be from 1 to 67108864, not 0",
            "ubd0K=x                      | flag 'K' needs a number",
            "ubd0OO=x                     | flag 'O' given twice",
    })
    void badArgumentsAreNamedWithTheReason(String arg, String reason) {
        UbdOptionException e = assertThrows(UbdOptionException.class, () -> UbdOptionParser.parse(arg.strip()));
        assertTrue(e.getMessage().startsWith("\"" + arg.strip() + "\""), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }
}
