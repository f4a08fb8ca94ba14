package org.ubdjvm.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {
    @ParameterizedTest
    @CsvSource({"0, 0", "512, 512", "1k, 1024", "1K, 1024", "4M, 4194304", "2G, 2147483648", "1T, 1099511627776",
            "8388607T, 9223370937343148032"})
    void parsesPowersOf1024(String text, long bytes) {
        assertEquals(bytes, ByteSize.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-1", "1.5M", "12Q", "M", "1 M", "0x10", "8388608T", "99999999999999999999"})
    void refusesAnythingElse(String text) {
        assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
    }

    @Test
    void printsLikeQemuImg() {
        assertEquals("512 B", ByteSize.human(512));
        assertEquals("1 MiB", ByteSize.human(1 << 20));
        assertEquals("258 KiB", ByteSize.human(263_780));
        assertEquals("0.977 KiB", ByteSize.human(1000));
        assertEquals("4 GiB", ByteSize.human(4L << 30));
    }
}
