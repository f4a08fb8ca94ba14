package org.ubdjvm.cow.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Regenerating the vectors with the real tools gives the committed set: every file byte for byte but for the
 * backing path its header stores (the committed one names /mnt/ubd-vectors/...), and the headers, bits and
 * virtual-disk md5s the vectors' documentation and make-vectors.log give. Missing tools skip (fail with CI=true).
 */
class RegeneratedVectorsTest {
    private static final String V3 = "layout=v3 magic_order=big version=3 mtime=1700000000 size=";
    private static final String V3_256K = V3 + "262144 sectorsize=512 align=4096 cow_format=0 bitmap_off=8192"
            + " bitmap_len=64 data_off=12288";
    private static final String V3_EXT2 = V3 + "524288 sectorsize=512 align=4096 cow_format=0 bitmap_off=8192"
            + " bitmap_len=128 data_off=12288";
    private static final String WRITTEN_BITS = "0,5-7,63-64,100-115,200,511";
    private static final String WRITTEN_DISK = "f4840f9ccc944cdb4c8150b4041be070";
    /** Where each layout stores the backing path: offset and width (NUL padding and the kernel's junk included). */
    private static final Map<String, int[]> PATH_FIELD = Map.of("raw", new int[] {0, 0}, "v1", new int[] {8, 256},
            "v2", new int[] {8, 4096}, "v3", new int[] {32, 4096}, "v3b", new int[] {36, 4096});

    /** md5s of the committed files with the path field zeroed (the rest is what make-vectors.sh made). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "back-256k.img,               raw, 262144, 27c2e227ea1c2a8330f7d740c6f52cfa",
            "back-odd.img,                raw, 263780, 8a15691f3381d78043c98f24fefad5cd",
            "back-ext2-512k.img,          raw, 524288, d28f9fcd79635f807b7ff9b2b8e791ba",
            "merged-v3-mkcow-written.img, raw, 262144, f4840f9ccc944cdb4c8150b4041be070",
            "v3-mkcow-clean.cow,          v3,  274432, 5714e0d4a190b3e671a16aed03016214",
            "v3-mkcow-written.cow,        v3,  274432, 1afafd9644bf93e3bc65004c92c99d23",
            "v3-mkcow-f-over-written.cow, v3,  274432, 148d26adbc1fb7b39da842d535a3d3cc",
            "v3-mkcow-odd.cow,            v3,  276480, bd1a0facc1344286b0e38928541eb3f2",
            "v3-mkcow-ext2.cow,           v3,  536576, c846aedf8669a5293fb5ed76340f05a1",
            "kernel-created-clean.cow,    v3,  536576, c846aedf8669a5293fb5ed76340f05a1",
            "v1-handmade.cow,             v1,  262656, 69cb4ea56cf85877f9fdaba2e0745110",
            "v2-handmade.cow,             v2,  266752, 22c414124203de82ae5b58e6811703f4",
            "v2-odd-handmade.cow,         v2,  268388, 8afe6e312d457c5f9438dd5d20eb56d8",
            "v3-broken64-handmade.cow,    v3b, 274432, bdf0f21ee34adf1b2e80c4f26f9c590f",
            "broken-short-4.cow,          v3,  4,      9c0cf3390284699df83db126a35611b4",
            "broken-truncated-v3.cow,     v3,  2048,   6affdb5cb8aae9a28736bce740cc1ab9",
            "broken-bad-magic.cow,        v3,  274432, b2ff13e14761b3cd96e88423f36de6c0",
            "broken-bad-version.cow,      v3,  274432, fae627bc9e005e6e385ee9cc6983d1ab",
            "broken-align-zero.cow,       v3,  274432, 7a556faf18eb41662559031d1e14b4d9",
            "broken-v3-empty-backing.cow, v3,  274432, 5714e0d4a190b3e671a16aed03016214",
            "broken-size-mismatch.cow,    v3,  274432, 8c381332315b5f394f39db2a98985a6a",
            "broken-mtime-mismatch.cow,   v3,  274432, 3dc35d5d65857657603c7e4241ec5eff",
            "broken-bitmap-short.cow,     v3,  8224,   2a701c75bedd899cc9055414f02191dd"})
    void everyFileIsTheCommittedOneButForTheBackingPath(String name, String layout, long length, String md5)
            throws IOException {
        assertSameButForPath(SharedVectors.regenerated().file(name), layout, length, md5);
        // the expectations are the committed files' own: checked whenever those sit beside the checkout
        Optional<Path> committed = SharedVectors.committedDir();
        if (committed.isPresent()) {
            assertSameButForPath(committed.get().resolve(name), layout, length, md5);
        }
    }

    private static void assertSameButForPath(Path file, String layout, long length, String md5) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        assertEquals(length, bytes.length, file + ": length");
        int[] field = PATH_FIELD.get(layout);
        Arrays.fill(bytes, Math.min(field[0], bytes.length), Math.min(field[0] + field[1], bytes.length), (byte) 0);
        assertEquals(md5, SharedVectors.md5(bytes), file + ": md5 with the backing path zeroed");
    }

    /** Header fields, bits and virtual disk as make-vectors.log and the vectors' documentation give them. */
    static Stream<Arguments> validVectors() {
        return Stream.of(
                Arguments.of("v3-mkcow-clean.cow", "back-256k.img", V3_256K, "none",
                        "27c2e227ea1c2a8330f7d740c6f52cfa", 262144),
                Arguments.of("v3-mkcow-written.cow", "back-256k.img", V3_256K, WRITTEN_BITS, WRITTEN_DISK, 262144),
                Arguments.of("v3-mkcow-f-over-written.cow", "back-256k.img", V3_256K, WRITTEN_BITS,
                        "0e60d2cfd3eaa7d44479bdfd86a464ac", 262144),
                Arguments.of("v1-handmade.cow", "back-256k.img", "layout=v1 magic_order=little version=1"
                        + " mtime=1700000000 size=262144 sectorsize=512 align=512 bitmap_off=280 bitmap_len=64"
                        + " data_off=512", WRITTEN_BITS, WRITTEN_DISK, 262144),
                Arguments.of("v2-handmade.cow", "back-256k.img", "layout=v2 magic_order=big version=2"
                        + " mtime=1700000000 size=262144 sectorsize=512 align=512 bitmap_off=4120 bitmap_len=64"
                        + " data_off=4608", WRITTEN_BITS, WRITTEN_DISK, 262144),
                Arguments.of("v3-broken64-handmade.cow", "back-256k.img", V3_256K.replace("layout=v3 ",
                        "layout=v3-broken64 "), WRITTEN_BITS, WRITTEN_DISK, 262144),
                Arguments.of("v3-mkcow-odd.cow", "back-odd.img", V3 + "263780 sectorsize=512 align=4096"
                        + " cow_format=0 bitmap_off=8192 bitmap_len=65 data_off=12288", "0,512,515",
                        "e40ba339d150158278d5dcda8442ec66", 264192),
                Arguments.of("v2-odd-handmade.cow", "back-odd.img", "layout=v2 magic_order=big version=2"
                        + " mtime=1700000000 size=263780 sectorsize=512 align=512 bitmap_off=4120 bitmap_len=64"
                        + " data_off=4608", "none", "7c13d92ece1edd6f94eca4e7397eaf9b", 264192),
                Arguments.of("v3-mkcow-ext2.cow", "back-ext2-512k.img", V3_EXT2, "none",
                        "d28f9fcd79635f807b7ff9b2b8e791ba", 524288),
                Arguments.of("kernel-created-clean.cow", "back-ext2-512k.img", V3_EXT2, "none",
                        "d28f9fcd79635f807b7ff9b2b8e791ba", 524288),
                // the kernel's superblock write holds the boot time: only where it wrote is fixed
                Arguments.of("kernel-created-written.cow", "back-ext2-512k.img", V3_EXT2, "2-3", null, 524288));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validVectors")
    void headersBitsAndVirtualDisksAreTheDocumentedOnes(String name, String backing, String info, String bits,
            String virtualMd5, long virtualSize) throws IOException {
        VectorSet set = SharedVectors.regenerated();
        Path cow = set.file(name);
        ReferenceCow.Header header = ReferenceCow.parse(cow);
        assertEquals(info, header.info());
        assertEquals(set.dir().resolve(backing).toString(), header.backing(), "the backing path it stores");
        assertEquals(bits, ReferenceCow.bits(cow));
        byte[] disk = ReferenceCow.virtualDisk(cow, set.file(backing));
        assertEquals(virtualSize, disk.length);
        if (virtualMd5 != null) {
            assertEquals(virtualMd5, SharedVectors.md5(disk), "virtual disk md5");
        }
    }

    /** Without uml_mkcow and linux.uml, the rest is still made, and what lacks says which package to install. */
    @Test
    void whatAMissingToolCannotMakeIsLeftOutWithTheReason(@TempDir Path dir) throws Exception {
        Set<String> absent = Set.of("uml_mkcow", "linux.uml");
        VectorSet set = VectorMaker.make(Files.createDirectory(dir.resolve("vectors")),
                Files.createDirectory(dir.resolve("scratch")), p -> absent.contains(p) ? null : RealTools.find(p));

        Set<String> made;
        try (Stream<Path> files = Files.list(set.dir())) {
            made = files.map(f -> f.getFileName().toString()).collect(Collectors.toSet());
        }
        Set<String> expected = new TreeSet<>(Set.of("back-256k.img", "back-odd.img", "v1-handmade.cow",
                "v2-handmade.cow", "v3-broken64-handmade.cow", "v2-odd-handmade.cow"));
        if (RealTools.find("mke2fs") != null) {
            expected.add("back-ext2-512k.img");
        }
        assertEquals(expected, new TreeSet<>(made));
        assertEquals(24 - expected.size(), set.unavailable().size(), set.unavailable()::toString);
        assertEquals("uml_mkcow not found on PATH (install the Debian package uml-utilities)",
                set.unavailable().get("merged-v3-mkcow-written.img"), "a vector made from one that lacks");
        Throwable skipped = assertThrows(Throwable.class, () -> set.file("broken-bad-magic.cow"));
        assertTrue(skipped.getMessage().contains("test vector broken-bad-magic.cow could not be regenerated: "
                + "uml_mkcow not found on PATH"), skipped.getMessage());
        if (RealTools.find("mke2fs") != null) {
            assertTrue(set.unavailable().get("kernel-created-clean.cow").startsWith("linux.uml not found"));
        }
    }

    /** The check make-vectors.sh made of its helper: a V3 header it crafts is exactly what uml_mkcow writes. */
    @Test
    void theReferenceWriterWritesWhatUmlMkcowWrites(@TempDir Path dir) throws IOException {
        VectorSet set = SharedVectors.regenerated();
        Path crafted = dir.resolve("v3-handmade.cow");
        ReferenceCow.craft("3", crafted, set.file("back-256k.img"));
        assertArrayEquals(Files.readAllBytes(set.file("v3-mkcow-clean.cow")), Files.readAllBytes(crafted));
    }
}
