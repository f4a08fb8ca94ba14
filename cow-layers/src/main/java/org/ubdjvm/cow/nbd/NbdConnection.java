package org.ubdjvm.cow.nbd;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.hostio.Errno;

/**
 * One NBD connection in transmission: requests are pipelined over the one socket, each tagged with its own cookie.
 * Callers only queue (never block on the socket): a writer thread sends what is queued in one gathering write, a
 * reader thread reads replies, simple or structured, straight into the callers' buffers and completes them, in
 * whatever order the server answers. Two threads per connection, none per request.
 *
 * <p>When the connection is lost (the server closed it, a protocol violation, or {@link #dropOlderThan}), every
 * request in flight and every later one fails with one {@link ImageException} naming the export, the request and
 * the reason; nothing waits for a reply that cannot come.
 */
final class NbdConnection implements Closeable {
    /** Commands sent in one gathering write at most. */
    private static final int BATCH = 64;
    private static final NbdCommand STOP = new NbdCommand(-1, 0, 0, 0, null, null, (n, e) -> { }, "stop");

    private final Path name;
    private final SocketChannel ch;
    private final NbdExport export;
    private final Map<Long, NbdCommand> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong cookies = new AtomicLong();
    private final BlockingQueue<NbdCommand> outgoing = new LinkedBlockingQueue<>();
    /** The calling thread's batch between plug and unplug, else null. */
    private final ThreadLocal<List<NbdCommand>> plugged = new ThreadLocal<>();
    private final CountDownLatch readerDone = new CountDownLatch(1);
    /** Why the connection is gone; null while it is up. */
    private volatile String lost;
    /** close() began: the server hanging up now is the answer to our NBD_CMD_DISC, not a loss. */
    private volatile boolean closing;

    private NbdConnection(Path name, SocketChannel ch, NbdExport export) {
        this.name = name;
        this.ch = ch;
        this.export = export;
    }

    /**
     * Connects and negotiates {@code uri}'s export, giving up after {@code timeout}: the socket is then closed,
     * which ends a connect or a read the server never answers.
     */
    static NbdConnection open(NbdUri uri, Path name, Duration timeout) throws IOException {
        SocketChannel ch = uri.unix() ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        AtomicBoolean expired = new AtomicBoolean();
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(timeout.toMillis());
                expired.set(true);
                closeQuietly(ch);
            } catch (InterruptedException inTime) {
                // connected and negotiated in time
            }
        }, "nbd-handshake-watchdog " + uri);
        watchdog.setDaemon(true);
        watchdog.start();
        String step = "cannot connect to the NBD server at " + (uri.unix() ? "socket " + uri.socket()
                : uri.host() + ":" + uri.port());
        NbdExport export;
        try {
            ch.connect(uri.unix() ? UnixDomainSocketAddress.of(uri.socket())
                    : new InetSocketAddress(uri.host(), uri.port()));
            if (!uri.unix()) {
                ch.socket().setTcpNoDelay(true); // requests are small and pipelined: do not hold them back
            }
            step = "NBD handshake with " + uri;
            export = NbdHandshake.negotiate(ch, uri.export());
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            String reason = expired.get() ? "no answer in " + seconds(timeout) : reason(e);
            throw new ImageException(name, step + ": " + reason, e);
        } finally {
            watchdog.interrupt();
        }
        if (expired.get()) {
            closeQuietly(ch);
            throw new ImageException(name, step + ": no answer in " + seconds(timeout));
        }
        NbdConnection c = new NbdConnection(name, ch, export);
        c.start(uri.toString());
        return c;
    }

    private void start(String label) {
        Thread reader = new Thread(this::readReplies, "nbd-reader " + label);
        Thread writer = new Thread(this::sendRequests, "nbd-writer " + label);
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    NbdExport export() {
        return export;
    }

    /** Queues {@code c}; it completes once, on the reader thread, or here when the connection is already gone. */
    void submit(NbdCommand c) {
        String gone = lost;
        if (gone != null) {
            c.done.done(0, failure(c, gone));
            return;
        }
        c.cookie = cookies.incrementAndGet();
        c.sentNanos = System.nanoTime();
        inFlight.put(c.cookie, c);
        if (lost != null && inFlight.remove(c.cookie) != null) {
            c.done.done(0, failure(c, lost)); // lost while we registered: the sweep may have missed it
            return;
        }
        List<NbdCommand> batch = plugged.get();
        if (batch != null) {
            batch.add(c);
        } else {
            outgoing.add(c);
        }
    }

    void plug() {
        if (plugged.get() == null) {
            plugged.set(new ArrayList<>());
        }
    }

    void unplug() {
        List<NbdCommand> batch = plugged.get();
        plugged.remove();
        if (batch != null) {
            outgoing.addAll(batch);
        }
    }

    /**
     * Like the kernel's nbd timeout: a request unanswered for {@code age} means the server is stuck, so the
     * connection is dropped and everything in flight fails. Returns how many requests that ended.
     */
    int dropOlderThan(Duration age) {
        long now = System.nanoTime();
        boolean stale = inFlight.values().stream().anyMatch(c -> now - c.sentNanos >= age.toNanos());
        if (!stale) {
            return 0;
        }
        int n = inFlight.size();
        lose("no reply from the server in " + seconds(age) + "; connection dropped");
        return n;
    }

    /** Ends the connection: an orderly NBD_CMD_DISC when it is up, then the socket is closed. */
    @Override
    public void close() {
        closing = true;
        if (lost == null) {
            NbdCommand disc = new NbdCommand(NbdWire.CMD_DISC, 0, 0, 0, null, null, (n, e) -> { }, "disconnect");
            outgoing.add(disc);
            outgoing.add(STOP);
            try {
                readerDone.await(1, TimeUnit.SECONDS); // the server closes its end after DISC
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        lose("the connection was closed");
    }

    /** Marks the connection gone, closes the socket (ending both threads) and fails everything in flight. */
    private void lose(String why) {
        synchronized (this) {
            if (lost == null) {
                lost = why;
            }
        }
        closeQuietly(ch);
        outgoing.add(STOP);
        for (Long cookie : List.copyOf(inFlight.keySet())) {
            NbdCommand c = inFlight.remove(cookie);
            if (c != null) {
                c.done.done(0, failure(c, lost));
            }
        }
    }

    private ImageException failure(NbdCommand c, String why) {
        return new ImageException(name, c.what + ": " + why);
    }

    private void sendRequests() {
        List<NbdCommand> batch = new ArrayList<>();
        try {
            while (true) {
                batch.clear();
                batch.add(outgoing.take());
                outgoing.drainTo(batch, BATCH - 1);
                List<ByteBuffer> bufs = new ArrayList<>(batch.size() * 2);
                boolean stop = false;
                for (NbdCommand c : batch) {
                    if (c == STOP) {
                        stop = true;
                        break;
                    }
                    bufs.add(c.header());
                    if (c.payload != null) {
                        bufs.add(c.payload.duplicate());
                    }
                }
                ByteBuffer[] out = bufs.toArray(ByteBuffer[]::new);
                while (out.length > 0 && out[out.length - 1].hasRemaining()) {
                    ch.write(out);
                }
                if (stop) {
                    return;
                }
            }
        } catch (IOException e) {
            if (lost == null) {
                lose("connection to the server lost while sending: " + reason(e));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void readReplies() {
        NbdReplyReader replies = new NbdReplyReader(ch, export, inFlight::get, this::failure);
        try {
            while (true) {
                NbdCommand answered = replies.next();
                if (answered != null) {
                    finish(answered, answered.error);
                }
            }
        } catch (NbdReplyReader.ProtocolError e) {
            lose("the server broke the NBD protocol: " + e.getMessage());
        } catch (IOException e) {
            if (lost == null && !closing) {
                lose("connection to the server lost: " + reason(e));
            }
        } finally {
            readerDone.countDown();
        }
    }

    private void finish(NbdCommand c, IOException error) {
        if (inFlight.remove(c.cookie) != null) {
            c.done.done(error == null ? c.length : 0, error);
        }
    }

    /** "30 s", or "0.5 s" for a short wait. */
    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() / 1000.0 + " s";
    }

    /** A socket error as one line: the server's hang-up, a closed socket, or the errno's name and text. */
    private static String reason(Exception e) {
        if (e instanceof EOFException) {
            return e.getMessage();
        }
        if (e instanceof AsynchronousCloseException) {
            return "the socket was closed";
        }
        return Errno.describeText(e.getMessage() == null ? e.toString() : e.getMessage());
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing is all that is left to do
        }
    }
}
