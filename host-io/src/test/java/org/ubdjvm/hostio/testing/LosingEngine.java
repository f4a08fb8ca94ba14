package org.ubdjvm.hostio.testing;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.ubdjvm.hostio.Errno;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.HostIoException;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

/**
 * An engine that loses one read, as a kernel that swallows a request (issue 19): the first read at
 * {@code position} never completes. Everything else goes to the engine underneath. Cancelling the lost read
 * behaves as a real engine's cancel: its completion runs with ECANCELED.
 */
public final class LosingEngine extends ForwardingIoEngine {
    private final long position;
    private final CountDownLatch lost = new CountDownLatch(1);
    private final List<Duration> cancels = new CopyOnWriteArrayList<>();
    private IoCompletion lostDone;
    private HostFile lostFile;
    private long lostAt;

    public LosingEngine(IoEngine delegate, long position) {
        super(delegate);
        this.position = position;
    }

    @Override
    public void read(HostFile file, ByteBuffer dst, long at, IoCompletion done) {
        synchronized (this) {
            if (at == position && lost.getCount() > 0) {
                lostDone = done;
                lostFile = file;
                lostAt = System.nanoTime();
                lost.countDown();
                return;
            }
        }
        super.read(file, dst, at, done);
    }

    /** Whether the read was lost within {@code wait}. */
    public boolean awaitLost(Duration wait) throws InterruptedException {
        return lost.await(wait.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The ages asked for by {@link #cancelOlderThan} so far. */
    public List<Duration> cancels() {
        return List.copyOf(cancels);
    }

    @Override
    public int cancelOlderThan(Duration age) {
        cancels.add(age);
        IoCompletion done;
        HostFile file;
        synchronized (this) {
            done = lostDone;
            file = lostFile;
            if (done == null || System.nanoTime() - lostAt < age.toNanos()) {
                return super.cancelOlderThan(age);
            }
            lostDone = null;
        }
        done.done(0, new HostIoException(file.path(), "read at offset " + position + " cancelled: "
                + Errno.describe(Errno.ECANCELED)));
        return 1 + super.cancelOlderThan(age);
    }

    @Override
    public String describeInFlight() {
        String below = super.describeInFlight();
        synchronized (this) {
            if (lostDone == null) {
                return below;
            }
            String mine = "lost read at offset " + position + " of " + lostFile.path();
            return below.isEmpty() ? mine : below + "\n" + mine;
        }
    }
}
