package org.ubdjvm.props;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The oracle's own geometry must reproduce the worked values of spec 4.1 before it may judge real files. */
class CowGeometryTest {
    @ParameterizedTest(name = "V{0}, {1} bytes")
    @CsvSource({
        "3, 262144, 8192, 64, 12288",
        "3, 263780, 8192, 65, 12288",
        "3, 524288, 8192, 128, 12288",
        "3, 16777216, 8192, 4096, 12288",
        "2, 262144, 4120, 64, 4608",
        "2, 263780, 4120, 64, 4608",
        "2, 8388608, 4120, 2048, 6656",
        "1, 262144, 280, 64, 512",
        "1, 8388608, 280, 2048, 2560",
    })
    void matchesTheSpecTable(int version, long size, long bitmapOffset, long bitmapLength, long dataOffset) {
        CowGeometry g = new CowGeometry(version, size);
        assertEquals(bitmapOffset, g.bitmapOffset(), "bitmap_off");
        assertEquals(bitmapLength, g.bitmapLength(), "bitmap_len");
        assertEquals(dataOffset, g.dataOffset(), "data_off");
    }
}
