package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

/**
 * Makes a COW file durable: fdatasync (the data of every completed write reaches the host), then the dirty bitmap
 * bytes, then fdatasync again. That order is the durability contract: a bitmap bit on disk never points at data that
 * is not there. Only one flush runs at a time; flushes requested meanwhile are served together by the next round
 * (group commit), and no older bitmap snapshot can land after a newer one.
 */
final class BitmapFlusher {
    private final HostFile cow;
    private final IoEngine engine;
    private final CowBitmap bitmap;
    private final long bitmapOffset;
    private List<IoCompletion> waiting = new ArrayList<>();
    private boolean running;

    BitmapFlusher(HostFile cow, IoEngine engine, CowBitmap bitmap, long bitmapOffset) {
        this.cow = cow;
        this.engine = engine;
        this.bitmap = bitmap;
        this.bitmapOffset = bitmapOffset;
    }

    void flush(IoCompletion done) {
        List<IoCompletion> round;
        synchronized (this) {
            waiting.add(done);
            if (running) {
                return;
            }
            running = true;
            round = takeWaiting();
        }
        runRound(round);
    }

    private List<IoCompletion> takeWaiting() {
        List<IoCompletion> round = waiting;
        waiting = new ArrayList<>();
        return round;
    }

    private void runRound(List<IoCompletion> round) {
        engine.datasync(cow, (r, e) -> {
            if (e != null) {
                finish(round, e);
                return;
            }
            CowBitmap.DirtyBytes dirty = bitmap.takeDirty();
            if (dirty == null) {
                finish(round, null);
                return;
            }
            engine.write(cow, ByteBuffer.wrap(dirty.bytes()), bitmapOffset + dirty.from(), (r2, e2) -> {
                if (e2 != null) {
                    bitmap.redirty(dirty);
                    finish(round, e2);
                    return;
                }
                engine.datasync(cow, (r3, e3) -> finish(round, e3));
                engine.submit();
            });
            engine.submit();
        });
        engine.submit();
    }

    private void finish(List<IoCompletion> round, IOException error) {
        for (IoCompletion c : round) {
            c.done(0, error);
        }
        List<IoCompletion> next;
        synchronized (this) {
            if (waiting.isEmpty()) {
                running = false;
                return;
            }
            next = takeWaiting();
        }
        runRound(next);
    }
}
