package org.ubdjvm.harness.nbd;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a server listens: a Unix socket, or a TCP host and port; and how clients name it (the NBD URI standard,
 * and qemu's older {@code nbd:} syntax that nbdkit's {@code $nbd} carries).
 *
 * @param socket the Unix socket's path, or null for TCP
 * @param host   the TCP address to bind (e.g. 127.0.0.1)
 * @param port   the TCP port; 0 picks a free one, see {@link #boundTo}
 */
public record NbdAddress(Path socket, String host, int port) {
    /** The IANA port for NBD. */
    public static final int DEFAULT_PORT = 10809;

    public static NbdAddress unix(Path socket) {
        return new NbdAddress(socket, null, 0);
    }

    public static NbdAddress tcp(String host, int port) {
        return new NbdAddress(null, host, port);
    }

    /** A listener, bound and blocking. An existing file at the socket path is refused, never removed. */
    public ServerSocketChannel bind() throws IOException {
        if (socket != null) {
            if (Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(socket + ": exists already (remove it if no server uses it)");
            }
            ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                return s.bind(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                s.close();
                throw new IOException(socket + ": cannot listen: " + e.getMessage(), e);
            }
        }
        ServerSocketChannel s = ServerSocketChannel.open();
        try {
            return s.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            s.close();
            throw new IOException(host + ":" + port + ": cannot listen: " + e.getMessage(), e);
        }
    }

    /** This address with the port the listener actually got (for port 0). */
    public NbdAddress boundTo(ServerSocketChannel listener) throws IOException {
        return socket != null ? this : tcp(host, ((InetSocketAddress) listener.getLocalAddress()).getPort());
    }

    /** The NBD URI: {@code nbd+unix:///EXPORT?socket=PATH} or {@code nbd://HOST:PORT/EXPORT}. */
    public String uri(String exportName) {
        String path = "/" + encode(exportName);
        if (socket != null) {
            return "nbd+unix://" + path + "?socket=" + encode(socket.toString()).replace("%2F", "/");
        }
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "nbd://" + h + (port == DEFAULT_PORT ? "" : ":" + port) + path;
    }

    /** qemu's older form: {@code nbd:unix:PATH} or {@code nbd:HOST:PORT}, with {@code :exportname=NAME}. */
    public String qemuLegacy(String exportName) {
        String base = socket != null ? "nbd:unix:" + socket : "nbd:" + host + ":" + port;
        return exportName.isEmpty() ? base : base + ":exportname=" + exportName;
    }

    /** Percent-encodes all but RFC 3986's unreserved characters. */
    private static String encode(String s) {
        StringBuilder b = new StringBuilder();
        for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                b.append((char) c);
            } else {
                b.append(String.format("%%%02X", c & 0xff));
            }
        }
        return b.toString();
    }
}
