package org.ubdjvm.cow.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The URI forms of doc/uri.md, as typed and as a {@link Path} folds them, and their standard form. */
class NbdUriTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "nbd+unix:///?socket=/run/s.sock            | nbd+unix:///?socket=/run/s.sock",
        "nbd+unix:///disk?socket=/run/s.sock        | nbd+unix:///disk?socket=/run/s.sock",
        "nbd://example.com/disk                     | nbd://example.com:10809/disk",
        "nbd://example.com:1234                     | nbd://example.com:1234/",
        "nbd://[::1]:10810/x                        | nbd://[::1]:10810/x",
        "nbd://example.com/hello%20world            | nbd://example.com:10809/hello%20world",
        "NBD+UNIX:///a?socket=/tmp/a%20b+c          | nbd+unix:///a?socket=/tmp/a%20b+c"})
    void standardFormTypedOrFolded(String typed, String standard) {
        assertEquals(standard, NbdUri.parse(typed).toString());
        assertEquals(standard, NbdUri.parse(Path.of(typed).toString()).toString(), "as a Path folds it");
        assertEquals(standard, NbdUri.parse(standard).toString(), "the standard form is its own");
    }

    @Test
    void partsAsTheSpecSaysThem() {
        NbdUri unix = NbdUri.parse("nbd+unix:///disk?socket=/tmp/a%20b+c");
        assertEquals(Path.of("/tmp/a b+c"), unix.socket(), "percent-decoded; '+' is not a space in a URI");
        assertEquals("disk", unix.export());
        assertNull(unix.host());
        NbdUri tcp = NbdUri.parse("nbd://example.com/hello%20world");
        assertEquals("hello world", tcp.export());
        assertEquals(NbdUri.DEFAULT_PORT, tcp.port());
        assertEquals("", NbdUri.parse("nbd://example.com").export(), "no path: the default export");
        assertEquals(Path.of("relative.sock").toAbsolutePath(), NbdUri.parse("nbd+unix:///?socket=relative.sock").socket());
    }

    @Test
    void refusedWithTheReason() {
        assertEquals("no socket=PATH (nbd+unix:///export?socket=PATH)",
                assertThrows(IllegalArgumentException.class, () -> NbdUri.parse("nbd+unix:///x")).getMessage());
        assertEquals("a Unix socket URI takes no host (h); write nbd+unix:///export?socket=PATH",
                assertThrows(IllegalArgumentException.class, () -> NbdUri.parse("nbd+unix://h/x?socket=/s")).getMessage());
        assertEquals("TLS (nbds+unix) is not supported; use nbd:// or nbd+unix://",
                assertThrows(IllegalArgumentException.class, () -> NbdUri.parse("nbds+unix:///?socket=/s")).getMessage());
        assertEquals("an NBD URI has no fragment (#f)",
                assertThrows(IllegalArgumentException.class, () -> NbdUri.parse("nbd://h/x#f")).getMessage());
        assertEquals("socket= needs a path (abstract sockets are not supported)",
                assertThrows(IllegalArgumentException.class, () -> NbdUri.parse("nbd+unix:///?socket=")).getMessage());
    }

    @Test
    void claimedByScheme() {
        assertEquals("nbd+unix:///?socket=/s", new NbdFormat().claimLocation("nbd+unix:/?socket=/s"));
        assertEquals("nbd+unix:///?sockt=/s", new NbdFormat().claimLocation("nbd+unix:///?sockt=/s"),
                "a malformed URI is claimed as given; open says what is wrong");
        assertNull(new NbdFormat().claimLocation("/srv/nbd:disk.img"));
        assertNull(new NbdFormat().claimLocation("nbdx://h/x"));
        assertNull(new NbdFormat().claimLocation("base.raw"));
    }
}
