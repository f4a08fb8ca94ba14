package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ubdjvm.cow.testing.RealTools;
import org.ubdjvm.cow.testing.SharedVectors;
import org.ubdjvm.hostio.SyncEngine;

/** Every file the real tools made opens and reads back its documented disk; every broken one is refused. */
class SharedVectorsTest {
    @TempDir
    Path dir;

    static Stream<Arguments> validVectors() {
        return Stream.of(
                Arguments.of("v3-mkcow-clean.cow", "back-256k.img", "27c2e227ea1c2a8330f7d740c6f52cfa", 262144),
                Arguments.of("v3-mkcow-written.cow", "back-256k.img", "f4840f9ccc944cdb4c8150b4041be070", 262144),
                Arguments.of("v1-handmade.cow", "back-256k.img", "f4840f9ccc944cdb4c8150b4041be070", 262144),
                Arguments.of("v2-handmade.cow", "back-256k.img", "f4840f9ccc944cdb4c8150b4041be070", 262144),
                Arguments.of("v3-broken64-handmade.cow", "back-256k.img", "f4840f9ccc944cdb4c8150b4041be070", 262144),
                Arguments.of("v3-mkcow-f-over-written.cow", "back-256k.img", "0e60d2cfd3eaa7d44479bdfd86a464ac", 262144),
                Arguments.of("v3-mkcow-odd.cow", "back-odd.img", "e40ba339d150158278d5dcda8442ec66", 264192),
                Arguments.of("v2-odd-handmade.cow", "back-odd.img", "7c13d92ece1edd6f94eca4e7397eaf9b", 264192),
                Arguments.of("v3-mkcow-ext2.cow", "back-ext2-512k.img", "d28f9fcd79635f807b7ff9b2b8e791ba", 524288),
                Arguments.of("kernel-created-clean.cow", "back-ext2-512k.img", "d28f9fcd79635f807b7ff9b2b8e791ba", 524288),
                // the kernel's write holds its boot time, so a regenerated one differs: expect what uml_moo merges
                Arguments.of("kernel-created-written.cow", "back-ext2-512k.img", null, 524288),
                Arguments.of("merged-v3-mkcow-written.img", null, "f4840f9ccc944cdb4c8150b4041be070", 262144),
                Arguments.of("back-odd.img", null, "7c13d92ece1edd6f94eca4e7397eaf9b", 264192));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validVectors")
    void readsTheDiskTheRealToolsSee(String file, String backing, String md5, long capacity) throws Exception {
        SharedVectors.copyTo(dir, Stream.of(file, backing).filter(Objects::nonNull).toArray(String[]::new));
        if (md5 == null) {
            md5 = mergedByUmlMoo(file, backing);
        }
        OpenSpec spec = OpenSpec.of(dir.resolve(file), new SyncEngine()).withReadOnly(true)
                .withBacking(backing == null ? null : dir.resolve(backing));
        try (BlockImage image = FormatTable.standard().open(spec)) {
            assertEquals(capacity, image.capacity());
            assertEquals(md5, SharedVectors.md5(readWhole(image)));
            assertEquals(md5, SharedVectors.md5(readInChunks(image, 7 * 512)), "unaligned-to-runs chunking");
        }
    }

    private String mergedByUmlMoo(String cow, String backing) throws Exception {
        RealTools.require("uml_moo", "uml-utilities");
        RealTools.run(dir, 60, "uml_moo", "-b", backing, cow, "merged.img").assertOk("uml_moo");
        return SharedVectors.md5(dir.resolve("merged.img"));
    }

    static Stream<Arguments> brokenVectors() {
        return Stream.of(
                Arguments.of("broken-short-4.cow", "short header"),
                Arguments.of("broken-truncated-v3.cow", "truncated V3 header"),
                Arguments.of("broken-bad-magic.cow", "bad magic"),
                Arguments.of("broken-bad-version.cow", "unsupported COW version 4"),
                Arguments.of("broken-align-zero.cow", "invalid alignment 0"),
                Arguments.of("broken-v3-empty-backing.cow", "invalid alignment 0"),
                Arguments.of("broken-size-mismatch.cow", "Size mismatch (262656 vs 262144) of COW header vs backing file"),
                Arguments.of("broken-mtime-mismatch.cow", "mtime mismatch (1600000000 vs 1700000000) of COW header vs backing file"),
                Arguments.of("broken-bitmap-short.cow", "bitmap truncated"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenVectors")
    void refusesBrokenFilesAndLeavesThemAlone(String file, String reason) throws IOException {
        SharedVectors.copyTo(dir, file, "back-256k.img");
        Path cow = dir.resolve(file);
        String before = SharedVectors.md5(cow);
        // read-write open with the backing given: the strictest case, where a bad header could be rewritten
        OpenSpec spec = OpenSpec.of(cow, new SyncEngine()).withFormat(UmlCowFormat.NAME).withBacking(dir.resolve("back-256k.img"));
        ImageException e = assertThrows(ImageException.class, () -> FormatTable.standard().open(spec).close());
        assertTrue(e.getMessage().startsWith(cow.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertEquals(before, SharedVectors.md5(cow), "file changed");
    }

    static byte[] readWhole(BlockImage image) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) image.capacity());
        BlockIo.read(image, 0, all);
        assertEquals(0, all.position(), "read must not move the caller's position");
        return all.array();
    }

    static byte[] readInChunks(BlockImage image, int chunk) throws IOException {
        byte[] all = new byte[(int) image.capacity()];
        for (int off = 0; off < all.length; off += chunk) {
            int n = Math.min(chunk, all.length - off);
            ByteBuffer b = ByteBuffer.wrap(all, off, n);
            BlockIo.read(image, off, b);
        }
        return all;
    }
}
