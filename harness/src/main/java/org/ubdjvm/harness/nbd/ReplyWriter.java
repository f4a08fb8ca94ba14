package org.ubdjvm.harness.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The one thread that writes a connection's replies. Completions run on the engine's threads, shared by every
 * connection; they only queue here, so a client that reads slowly stalls its own writer and never the host. What
 * the queue can hold is bounded by the connection's in-flight budget, which a reply gives back once written.
 */
final class ReplyWriter implements Runnable {
    /** Replies gathered into one write, at most. */
    private static final int BATCH = 64;
    private static final Reply STOP = new Reply(null, null, () -> { });

    private final GatheringByteChannel out;
    private final LinkedBlockingQueue<Reply> queue = new LinkedBlockingQueue<>();
    /** Writer thread only: the channel failed; later replies are dropped (released) unsent. */
    private boolean broken;

    ReplyWriter(GatheringByteChannel out) {
        this.out = out;
    }

    /** Queues a reply; any thread. */
    void send(Reply r) {
        queue.add(r);
    }

    /** Ends the thread after the replies queued before this call. */
    void stop() {
        queue.add(STOP);
    }

    @Override
    public void run() {
        List<Reply> batch = new ArrayList<>(BATCH);
        List<ByteBuffer> buffers = new ArrayList<>(2 * BATCH);
        boolean stopping = false;
        while (!stopping) {
            batch.clear();
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            queue.drainTo(batch, BATCH - 1);
            buffers.clear();
            for (Reply r : batch) {
                if (r == STOP) {
                    stopping = true;
                    break;
                }
                buffers.add(r.head());
                if (r.data() != null) {
                    buffers.add(r.data());
                }
            }
            write(buffers.toArray(ByteBuffer[]::new));
            for (Reply r : batch) {
                r.release().run();
            }
        }
        // STOP was queued after the last reply; anything still queued is released
        for (Reply r; (r = queue.poll()) != null; ) {
            r.release().run();
        }
    }

    private void write(ByteBuffer[] buffers) {
        if (broken) {
            return;
        }
        try {
            long left = 0;
            for (ByteBuffer b : buffers) {
                left += b.remaining();
            }
            while (left > 0) {
                left -= out.write(buffers);
            }
        } catch (IOException e) {
            broken = true; // the reader sees the connection end too and reports it
        }
    }
}
