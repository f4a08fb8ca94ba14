package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ubd info} on a V3 over V2 over raw chain, in both outputs. */
class InfoTest {
    @TempDir
    Path dir;

    private Path raw;
    private Path v2;
    private Path v3;

    @BeforeEach
    void chain() throws Exception {
        raw = Ubd.patterned(dir.resolve("base.img"), 1 << 20);
        v2 = dir.resolve("mid.cow");
        v3 = dir.resolve("top.cow");
        assertEquals(0, Ubd.run("create", "-f", "cow", "-o", "version=2", "-b", s(raw), s(v2)).exit());
        Ubd.run("io", "-c", "write 0 8k", s(v2)).ok();
        Ubd.run("create", "-f", "cow", "-b", s(v2), s(v3)).ok();
        Ubd.run("io", "-c", "write 64k 4k", s(v3)).ok();
    }

    @Test
    void jsonDescribesTheWholeChain() throws Exception {
        JsonNode top = new ObjectMapper().readTree(Ubd.run("info", "--output=json", s(v3)).ok().out());

        assertEquals(s(v3), top.get("filename").asText());
        assertEquals("cow", top.get("format").asText());
        assertEquals(1 << 20, top.get("virtual-size").asLong());
        assertEquals(512, top.get("sector-size").asInt());
        assertEquals(4096, top.get("allocated-bytes").asLong());
        assertEquals(s(v2.toRealPath()), top.get("backing-filename").asText());
        assertEquals("cow", top.get("backing-filename-format").asText());
        JsonNode spec = top.get("format-specific");
        assertEquals(3, spec.get("version").asInt());
        assertEquals(8192, spec.get("bitmap-offset").asLong());
        assertEquals(256, spec.get("bitmap-length").asLong());
        assertEquals(12288, spec.get("data-offset").asLong());
        assertEquals(12288 + (1 << 20), top.get("file-length").asLong(), "uml_mkcow's length: data_off + size");

        JsonNode mid = top.get("backing-image");
        assertEquals("cow", mid.get("format").asText());
        assertEquals(2, mid.at("/format-specific/version").asInt());
        assertEquals(8192, mid.get("allocated-bytes").asLong());
        assertEquals(s(raw.toRealPath()), mid.get("backing-filename").asText());

        JsonNode bottom = mid.get("backing-image");
        assertEquals("raw", bottom.get("format").asText());
        assertEquals(1 << 20, bottom.get("virtual-size").asLong());
        assertFalse(bottom.has("backing-image"));
        assertFalse(bottom.has("backing-filename"));
    }

    @Test
    void humanOutputIsOneKeyValuePerLineWithLayersAfterABlankLine() {
        String out = Ubd.run("info", s(v3)).ok().out();
        String[] layers = out.split("\n\n");
        assertEquals(3, layers.length, out);
        assertTrue(layers[0].startsWith("filename: " + v3 + "\nformat: cow\nvirtual size: 1 MiB (1048576 bytes)\n"),
                layers[0]);
        assertTrue(layers[0].contains("\n    version: 3\n"), layers[0]);
        assertTrue(layers[1].contains("\n    version: 2\n"), layers[1]);
        assertTrue(layers[2].contains("format: raw\n"), layers[2]);
        for (String line : out.split("\n")) {
            assertTrue(line.isEmpty() || line.contains(": ") || line.endsWith(":"), line);
        }
    }
}
