package org.ubdjvm.harness.nbd;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * An NBD server (NetworkBlockDevice/nbd {@code doc/proto.md}, fixed newstyle) for one export. Each client gets a
 * reader thread, which decodes and submits its requests to the export's device, and a writer thread for its
 * replies; no thread per request. Every client shares the one device, its ring and its barriers. A client that
 * breaks the protocol is dropped with one warning line and hurts nobody else.
 */
public final class NbdServer implements AutoCloseable {
    /** How long a client may take from connecting to entering transmission (qemu-nbd's default too). */
    static final Duration HANDSHAKE_LIMIT = Duration.ofSeconds(10);

    private final ServerSocketChannel listener;
    private final NbdExport export;
    private final Consumer<String> warnings;
    /** Clients served at once, at most; the next waits in the listen backlog (qemu-nbd's --shared). */
    private final Semaphore clients;
    private final Set<NbdConnection> open = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final Thread acceptor;
    /** Ends handshakes that take too long. */
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "nbd-handshake-timer");
        t.setDaemon(true);
        return t;
    });
    private final Duration handshakeLimit;
    private volatile boolean closing;

    private NbdServer(ServerSocketChannel listener, NbdExport export, int maxClients, Consumer<String> warnings,
                      Duration handshakeLimit) {
        this.listener = listener;
        this.export = export;
        this.warnings = warnings;
        this.handshakeLimit = handshakeLimit;
        this.clients = new Semaphore(maxClients > 0 ? maxClients : Integer.MAX_VALUE);
        this.acceptor = new Thread(this::acceptLoop, "nbd-accept");
        acceptor.setDaemon(true);
    }

    /**
     * Serves {@code export} on {@code listener} (bound, blocking) until closed; takes over the listener.
     *
     * @param maxClients clients at once, at most; 0 for no limit
     * @param warnings   where the one line about a dropped client goes
     */
    public static NbdServer start(ServerSocketChannel listener, NbdExport export, int maxClients,
                                  Consumer<String> warnings) {
        return start(listener, export, maxClients, warnings, HANDSHAKE_LIMIT);
    }

    /** As {@link #start(ServerSocketChannel, NbdExport, int, Consumer)}, a client's handshake limited to {@code limit}. */
    static NbdServer start(ServerSocketChannel listener, NbdExport export, int maxClients, Consumer<String> warnings,
                           Duration limit) {
        NbdServer server = new NbdServer(listener, export, maxClients, warnings, limit);
        server.acceptor.start();
        return server;
    }

    private void acceptLoop() {
        while (!closing) {
            try {
                clients.acquire();
            } catch (InterruptedException e) {
                return; // closing
            }
            SocketChannel channel;
            try {
                channel = listener.accept();
            } catch (ClosedChannelException e) {
                clients.release();
                return;
            } catch (IOException e) {
                clients.release();
                if (!closing) {
                    warnings.accept("nbd: accept failed: " + e.getMessage());
                }
                return;
            }
            String name = "nbd-client-" + accepted.incrementAndGet();
            NbdConnection connection = new NbdConnection(channel, export, name, timer, handshakeLimit);
            Thread t = new Thread(() -> serve(connection, name), name);
            t.setDaemon(true);
            open.add(connection);
            threads.add(t);
            t.start();
        }
    }

    private void serve(NbdConnection connection, String name) {
        try {
            String problem = connection.serve();
            if (problem != null && !closing) {
                warnings.accept("nbd: " + name + ": " + problem + "; connection closed");
            }
        } finally {
            open.remove(connection);
            threads.remove(Thread.currentThread());
            clients.release();
        }
    }

    /** Clients connected now. */
    public int connections() {
        return open.size();
    }

    /**
     * Stops listening, disconnects every client, and returns once each connection's requests in flight have
     * completed, so the device can be closed (and flushed) after it.
     */
    @Override
    public void close() throws IOException {
        closing = true;
        listener.close();
        acceptor.interrupt(); // it may wait for a client slot
        join(acceptor); // from here on, every connection is in the sets
        for (NbdConnection c : open) {
            c.abort();
        }
        for (Thread t : threads) {
            join(t);
        }
        timer.shutdownNow();
    }

    static void join(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
