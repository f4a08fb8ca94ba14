package org.ubdjvm.cow.nbd;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * An NBD URI (NetworkBlockDevice/nbd {@code doc/uri.md}): {@code nbd://host[:port]/export} over TCP or
 * {@code nbd+unix:///export?socket=PATH} over a Unix socket; an empty export is the server's default.
 *
 * <p>Names reach us as {@link Path}s, which fold {@code //} into {@code /}; the folded forms
 * ({@code nbd:/host/export}, {@code nbd+unix:/export?socket=S}) are read as the URIs they came from, so an
 * {@code nbd://} URI needs its host (a TCP URI without an authority cannot be told apart once folded).
 *
 * @param unix   true for a Unix socket, false for TCP
 * @param host   TCP host, null for a Unix socket
 * @param port   TCP port (10809 by default), 0 for a Unix socket
 * @param socket the socket's path, absolute; null for TCP
 * @param export the export name, "" for the default export
 */
public record NbdUri(boolean unix, String host, int port, Path socket, String export) {
    /** IANA's NBD port. */
    public static final int DEFAULT_PORT = 10809;
    static final String TCP = "nbd";
    static final String UNIX = "nbd+unix";
    private static final Set<String> TLS = Set.of("nbds", "nbds+unix");

    /** Whether {@code name} is in an NBD scheme (TLS ones included, which {@link #parse} refuses): no parsing. */
    static boolean claims(String name) {
        int colon = name.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        String scheme = name.substring(0, colon).toLowerCase(Locale.ROOT);
        return scheme.equals(TCP) || scheme.equals(UNIX) || TLS.contains(scheme);
    }

    /**
     * Parses a URI as given or as folded by a {@link Path}.
     *
     * @throws IllegalArgumentException the reason it is not an NBD URI we can use, one line, without the URI
     */
    static NbdUri parse(String text) {
        if (!claims(text)) {
            throw new IllegalArgumentException("not an NBD URI (nbd://host[:port]/export or nbd+unix:///export?socket=PATH)");
        }
        String scheme = text.substring(0, text.indexOf(':')).toLowerCase(Locale.ROOT);
        if (TLS.contains(scheme)) {
            throw new IllegalArgumentException("TLS (" + scheme + ") is not supported; use nbd:// or nbd+unix://");
        }
        String rest = text.substring(scheme.length() + 1);
        if (scheme.equals(TCP) && rest.startsWith("/") && !rest.startsWith("//")) {
            rest = "/" + rest; // folded by a Path: the first segment is the authority
        }
        URI uri;
        try {
            uri = new URI(scheme + ":" + rest);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("malformed URI: " + e.getReason());
        }
        if (uri.isOpaque()) {
            throw new IllegalArgumentException("the export must follow a '/' (" + scheme + ":///export)");
        }
        if (uri.getFragment() != null) {
            throw new IllegalArgumentException("an NBD URI has no fragment (#" + uri.getFragment() + ")");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        String export = path.startsWith("/") ? path.substring(1) : path;
        Path socket = socketParameter(uri.getRawQuery(), scheme.equals(UNIX));
        if (scheme.equals(UNIX)) {
            if (uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty()) {
                throw new IllegalArgumentException("a Unix socket URI takes no host (" + uri.getRawAuthority()
                        + "); write nbd+unix:///export?socket=PATH");
            }
            return new NbdUri(true, null, 0, socket, export);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("no host (nbd://host[:port]/export)");
        }
        return new NbdUri(false, uri.getHost(), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(), null, export);
    }

    /** The {@code socket} parameter, required for a Unix socket and refused otherwise, as is any other parameter. */
    private static Path socketParameter(String rawQuery, boolean unix) {
        Path socket = null;
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String key = percentDecoded(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : percentDecoded(pair.substring(eq + 1));
                if (!key.equals("socket") || !unix) {
                    throw new IllegalArgumentException("unknown parameter '" + key + "'"
                            + (unix ? " (known: socket)" : " (a TCP URI takes none)"));
                }
                if (value.isEmpty() || value.indexOf('\0') >= 0) {
                    throw new IllegalArgumentException("socket= needs a path (abstract sockets are not supported)");
                }
                socket = Path.of(value).toAbsolutePath();
            }
        }
        if (unix && socket == null) {
            throw new IllegalArgumentException("no socket=PATH (nbd+unix:///export?socket=PATH)");
        }
        return socket;
    }

    /** RFC 3986 decoding: URLDecoder's, without its form rule that '+' is a space. */
    private static String percentDecoded(String raw) {
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The URI in its standard form, as a COW header stores it: {@code nbd+unix:///export?socket=/abs/path}. */
    @Override
    public String toString() {
        try {
            String path = "/" + export;
            if (unix) {
                // the socket path keeps its '/' unescaped, as libnbd and qemu write it
                return new URI(UNIX, "", path, null, null) + "?socket=" + new URI(null, null, socket.toString(), null)
                        .getRawPath().replace("&", "%26").replace("=", "%3D").replace("?", "%3F");
            }
            return new URI(TCP, null, host, port, path, null, null).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot write " + host + " " + export + " as a URI", e);
        }
    }
}
