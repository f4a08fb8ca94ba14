package org.ubdjvm.props;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;

/**
 * Found by {@code DiskProperties.singleImageBehavesLikeAByteArray} on the mmap engine, shrunk to
 * {@code raw 65537 B on mmap: ["empty write(0 sectors ending at the end)", "close+reopen"]}: an empty write at the
 * end of an odd-sized raw disk (offset 66048, past the file's 65537 bytes) must change nothing, but on mmap the
 * file then grows to 66048 bytes. {@code MappedFile.write} takes {@code position + length} as the file's new size
 * after a pwrite that wrote nothing, and the next read of the tail maps a read-write window up to that size, which
 * extends the file. Fixed in MappedFile.write; this stays as the regression test.
 */
class EmptyWriteKeepsFileLengthTest {
    private static final long SIZE = 65_537;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sync", "mmap", "io_uring", "aio"})
    void emptyWriteAtTheEndOfAnOddSizedRawFileLeavesItsLength(String engineName, @TempDir Path dir) throws IOException {
        Path raw = dir.resolve("base.raw");
        Files.write(raw, SectorData.backing(SIZE));
        try (IoEngine engine = IoEngines.create(engineName)) {
            try (BlockImage image = FormatTable.standard().open(OpenSpec.of(raw, engine))) {
                BlockIo.write(image, image.capacity(), ByteBuffer.allocate(0));
                BlockIo.read(image, 0, ByteBuffer.allocate(Math.toIntExact(image.capacity())));
            }
        }
        assertEquals(SIZE, Files.size(raw), "an empty write and a read changed the raw file's length");
    }
}
