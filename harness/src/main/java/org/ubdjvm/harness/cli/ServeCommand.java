package org.ubdjvm.harness.cli;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceFlags;
import org.ubdjvm.driver.DeviceSpec;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.harness.ByteSize;
import org.ubdjvm.harness.Warnings;
import org.ubdjvm.harness.nbd.NbdAddress;
import org.ubdjvm.harness.nbd.NbdExport;
import org.ubdjvm.harness.nbd.NbdServer;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.queue.RingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ubd serve FILE}: the image stack as an NBD export, its requests through a device's ring like a guest's.
 * Options follow qemu-nbd (-f, -r, -k, -p, -x, -e) and nbdkit's captive mode ({@code --run}).
 */
@Command(name = "serve", description = {"Export an image stack over NBD (for nbdinfo, qemu, nbdkit, nbdfuse, fio).",
        "  ubd serve --run 'nbdinfo --map $uri' disk.cow",
        "  ubd serve --socket=/tmp/disk.sock disk.cow        (until SIGINT/SIGTERM)",
        "  ubd serve --port=10809 --read-only disk.img"})
final class ServeCommand implements Callable<Integer> {
    /** How long the captive command's output is read after it exited. */
    private static final long OUTPUT_DRAIN_MILLIS = 2000;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "the image (its backing chain comes with it)")
    Path file;

    @Option(names = "-f", paramLabel = "FMT", description = "image format (raw, cow); probed when left out, and a"
            + " probed raw image refuses writes that would make it probe as another format")
    String format;

    @Option(names = {"-r", "--read-only"}, description = "export read-only (writes fail with EPERM)")
    boolean readOnly;

    @Option(names = {"-k", "--socket"}, paramLabel = "PATH", description = "listen on this Unix socket")
    Path socket;

    @Option(names = {"-p", "--port"}, paramLabel = "N", description = "listen on this TCP port (default "
            + NbdAddress.DEFAULT_PORT + " without --socket and --run; 0: any free port)")
    Integer port;

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "the TCP address to listen on (default: ${DEFAULT-VALUE})")
    String bind;

    @Option(names = {"-x", "--export-name"}, paramLabel = "NAME", defaultValue = "",
            description = "the export's name (clients asking for \"\" get it too)")
    String exportName;

    @Option(names = {"-D", "--description"}, paramLabel = "TEXT", defaultValue = "",
            description = "the export's description, for people")
    String description;

    @Option(names = "--run", paramLabel = "CMD", description = "captive mode (nbdkit's): run CMD with sh -c, with $uri,"
            + " $nbd, $unixsocket or $port, $exportname set; stop when it exits and return its exit status")
    String run;

    @Option(names = {"-e", "--shared"}, paramLabel = "N", defaultValue = "0",
            description = "clients served at once, at most; others wait (0, the default: no limit)")
    int shared;

    @Mixin
    EngineOption engineOption;

    @Mixin
    ForceShareOption share;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (socket != null && port != null) {
            throw new ParameterException(spec.commandLine(), "--socket and --port exclude each other");
        }
        if (shared < 0) {
            throw new ParameterException(spec.commandLine(), "--shared must be 0 (no limit) or more, not " + shared);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path privateDir = socket == null && port == null && run != null
                ? Files.createTempDirectory("ubd-serve-") : null;
        NbdAddress address = socket != null ? NbdAddress.unix(socket)
                : privateDir != null ? NbdAddress.unix(privateDir.resolve("nbd.sock"))
                : NbdAddress.tcp(bind, port != null ? port : NbdAddress.DEFAULT_PORT);
        SignalStop signal = new SignalStop(); // from here on, SIGINT/SIGTERM close the image before the JVM ends
        DeviceFlags flags = DeviceFlags.DEFAULT.withReadOnly(readOnly);
        try (IoEngine engine = engineOption.open(err);
             UbdDevice device = UbdDevice.open(new DeviceSpec(0, file, null, null, flags),
                     DeviceEnvironment.of(ImageOpener.over(engine)).withRing(RingConfig.of("nbd"))
                             .withForceShare(share.forceShare).withWarnings(Warnings.to(err)), format)) {
            NbdExport export = exportOf(device);
            var listener = address.bind();
            NbdAddress bound = address.boundTo(listener);
            try (NbdServer server = NbdServer.start(listener, export, shared, Warnings.to(err))) {
                if (run != null) {
                    return runCaptive(bound, out, err, signal);
                }
                out.printf("ubd serve: %s (%s%s) at %s%n", file, ByteSize.human(device.capacity()),
                        device.readOnly() ? ", read-only" : "", bound.uri(exportName));
                out.flush();
                signal.await();
                return UbdMain.OK;
            } finally {
                if (bound.socket() != null) {
                    Files.deleteIfExists(bound.socket());
                }
            }
        } finally {
            if (privateDir != null) {
                Files.deleteIfExists(privateDir);
            }
            signal.done();
        }
    }

    private NbdExport exportOf(UbdDevice device) {
        try {
            return new NbdExport(exportName, description, device);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Runs the command with the server's names in its environment; its output goes where ours goes. */
    private int runCaptive(NbdAddress address, PrintWriter out, PrintWriter err, SignalStop signal)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", run);
        Map<String, String> env = pb.environment();
        env.put("uri", address.uri(exportName));
        env.put("nbd", address.qemuLegacy(exportName));
        env.put("exportname", exportName);
        if (address.socket() != null) {
            env.put("unixsocket", address.socket().toString());
        } else {
            env.put("port", String.valueOf(address.port()));
        }
        // stdin only from a terminal: under a test runner or a pipe, stdin is not the command's to take
        pb.redirectInput(System.console() != null ? ProcessBuilder.Redirect.INHERIT
                : ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        signal.whenSignalled(() -> { // a signal ends the command (and what it started) first, then the server
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        });
        Thread o = pump(p.getInputStream(), out);
        Thread e = pump(p.getErrorStream(), err);
        int status = p.waitFor();
        // what the command left running in the background may hold its output open: do not wait for that
        o.join(OUTPUT_DRAIN_MILLIS);
        e.join(OUTPUT_DRAIN_MILLIS);
        return status;
    }

    private static Thread pump(InputStream from, PrintWriter to) {
        Thread t = new Thread(() -> {
            char[] buf = new char[8192];
            try (Reader r = new InputStreamReader(from, StandardCharsets.UTF_8)) {
                for (int n; (n = r.read(buf)) >= 0; ) {
                    to.write(buf, 0, n);
                    to.flush();
                }
            } catch (IOException ignored) {
                // the command is gone; so is its output
            }
        }, "serve-run-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * SIGINT and SIGTERM: the JVM runs its shutdown hooks then, and this one lets the command close the server and
     * the image (a flush) before the JVM ends: it wakes the command ({@link #await}, or the captive command's end)
     * and holds the JVM until {@link #done}.
     */
    private static final class SignalStop {
        private final CountDownLatch signalled = new CountDownLatch(1);
        private final CountDownLatch closed = new CountDownLatch(1);
        private final Thread hook = new Thread(this::onSignal, "serve-shutdown");
        private Runnable action = () -> { };

        SignalStop() {
            Runtime.getRuntime().addShutdownHook(hook);
        }

        private void onSignal() {
            Runnable a;
            synchronized (this) {
                signalled.countDown();
                a = action;
            }
            a.run();
            try {
                closed.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** What a signal does besides waking {@link #await}; at once if the signal came already. */
        void whenSignalled(Runnable a) {
            synchronized (this) {
                if (signalled.getCount() > 0) {
                    action = a;
                    return;
                }
            }
            a.run();
        }

        void await() throws InterruptedException {
            signalled.await();
        }

        /** Everything is closed: the JVM may end; without a signal, the hook is no longer needed. */
        void done() {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running, and now lets the JVM go
            }
        }
    }
}
