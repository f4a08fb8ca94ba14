package org.ubdjvm.props;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.OpenSpec;

/**
 * {@code BlockImage.close()} "flushes (if writable)": a write that completed before close must reach the host
 * (fdatasync) before the file is closed, for every format, or a crash right after a clean shutdown loses it.
 */
class CloseMakesWritesDurableTest {
    @ParameterizedTest(name = "top format {0} (0 = raw)")
    @ValueSource(ints = {0, 1, 2, 3})
    void closeSyncsTheTopFileAfterItsLastWrite(int version, @TempDir Path dir) throws IOException {
        Path top = dir.resolve("base.raw");
        Files.write(top, SectorData.backing(64 * 1024));
        FormatTable table = FormatTable.standard();
        if (version > 0) {
            Path cow = dir.resolve("top.cow");
            table.create(CreateSpec.of(cow, "cow").withBacking(top).withOption("version", "" + version));
            top = cow;
        }
        RecordingEngine engine = new RecordingEngine();
        BlockImage image = table.open(OpenSpec.of(top, engine));
        BlockIo.write(image, 4096, ByteBuffer.wrap(SectorData.random(1, 1024)));
        image.close();
        assertTrue(engine.syncedAfterLastWrite(top), top.getFileName() + " was closed without an fdatasync after its last write");
    }
}
