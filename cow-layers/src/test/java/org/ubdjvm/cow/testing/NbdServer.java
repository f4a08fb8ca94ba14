package org.ubdjvm.cow.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A real NBD server (qemu-nbd or nbdkit) exporting one file on a Unix socket in a test's directory (or on a local
 * TCP port), for tests of the NBD layer; stopped on close. A missing program skips the test, or fails it with
 * CI=true ({@link RealTools}).
 */
public final class NbdServer implements AutoCloseable {
    private final Process process;
    private final Path socket;
    private final String uri;

    private NbdServer(Process process, Path socket, String uri) {
        this.process = process;
        this.socket = socket;
        this.uri = uri;
    }

    /**
     * {@code qemu-nbd -f raw -k SOCK [-r] -t -e 8 -x EXPORT FILE}: persistent, so an image can be reopened, and
     * shared by up to 8 clients.
     */
    public static NbdServer qemuNbd(Path file, boolean readOnly, String export) throws IOException {
        return qemuNbd(file, readOnly, export, socketBeside(file, "qemu-nbd"));
    }

    /** {@link #qemuNbd(Path, boolean, String)} on the socket given (one a header already names). */
    public static NbdServer qemuNbd(Path file, boolean readOnly, String export, Path socket) throws IOException {
        Path program = RealTools.require("qemu-nbd", "qemu-utils");
        Files.deleteIfExists(socket);
        List<String> cmd = new ArrayList<>(List.of(program.toString(), "-f", "raw", "-k", socket.toString(), "-t",
                "-e", "8", "-x", export));
        if (readOnly) {
            cmd.add("-r");
        }
        cmd.add(file.toString());
        return start(cmd, socket, "nbd+unix:///" + export + "?socket=" + socket, () -> accepts(socket));
    }

    /** {@code qemu-nbd -f raw -b 127.0.0.1 -p PORT [-r] -t -x EXPORT FILE} on a free port: {@code nbd://}. */
    public static NbdServer qemuNbdTcp(Path file, boolean readOnly, String export) throws IOException {
        Path program = RealTools.require("qemu-nbd", "qemu-utils");
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort(); // free now; qemu-nbd binds it a moment later
        }
        List<String> cmd = new ArrayList<>(List.of(program.toString(), "-f", "raw", "-b", "127.0.0.1", "-p",
                String.valueOf(port), "-t", "-x", export));
        if (readOnly) {
            cmd.add("-r");
        }
        cmd.add(file.toString());
        int bound = port;
        return start(cmd, null, "nbd://127.0.0.1:" + port + "/" + export, () -> {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), bound)) {
                return true;
            } catch (IOException notYet) {
                return false;
            }
        });
    }

    /**
     * {@code nbdkit -f -U SOCK [-r] [--OPTION...] file FILE [KEY=VALUE...]}: nbdkit's file plugin, its default
     * export; {@code extra} holds server options and filters ({@code --no-sr}, {@code --filter=error}), which go
     * before the plugin, and parameters ({@code error-pread-rate=1}), which go after it.
     */
    public static NbdServer nbdkit(Path file, boolean readOnly, String... extra) throws IOException {
        Path program = RealTools.require("nbdkit", "nbdkit");
        Path socket = socketBeside(file, "nbdkit");
        List<String> cmd = new ArrayList<>(List.of(program.toString(), "-f", "--exit-with-parent", "-U",
                socket.toString()));
        if (readOnly) {
            cmd.add("-r");
        }
        List<String> params = new ArrayList<>();
        for (String e : extra) {
            (e.startsWith("--") ? cmd : params).add(e);
        }
        cmd.addAll(List.of("file", file.toString()));
        cmd.addAll(params);
        return start(cmd, socket, "nbd+unix:///?socket=" + socket, () -> accepts(socket));
    }

    /**
     * Whether the server listens on {@code socket}: the file appears at bind(), a moment before listen(), and a
     * client connecting in between is refused.
     */
    private static boolean accepts(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            return ch.connect(java.net.UnixDomainSocketAddress.of(socket));
        } catch (IOException notYet) {
            return false;
        }
    }

    private static Path socketBeside(Path file, String server) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        for (int i = 0; ; i++) {
            Path s = dir.resolve(server + i + ".sock");
            if (!Files.exists(s)) {
                return s;
            }
        }
    }

    /** Starts the server and waits (at most 10 s) until it is {@code ready}. */
    private static NbdServer start(List<String> cmd, Path socket, String uri, BooleanSupplier ready)
            throws IOException {
        Path log = Files.createTempFile("nbd-server", ".log");
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        NbdServer server = new NbdServer(p, socket, uri);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try {
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": "
                            + Files.readString(log));
                }
                if (ready.getAsBoolean()) {
                    return server;
                }
                Thread.sleep(20);
            }
            server.close();
            throw new IOException(String.join(" ", cmd) + " made no socket in 10 s: " + Files.readString(log));
        } catch (InterruptedException e) {
            server.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** {@code nbd+unix:///EXPORT?socket=PATH}, or {@code nbd://127.0.0.1:PORT/EXPORT}. */
    public String uri() {
        return uri;
    }

    public Path socket() {
        return socket;
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: the server dies mid-run, as a crash would leave it. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }

    /** SIGSTOP or SIGCONT: a server that hangs (and its kernel still accepts connections), or resumes. */
    public void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        try {
            signal("CONT"); // a stopped server ignores SIGTERM until it runs again
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
