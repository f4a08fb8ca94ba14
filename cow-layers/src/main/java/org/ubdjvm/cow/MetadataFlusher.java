package org.ubdjvm.cow;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

/**
 * Makes a layer with {@link MetadataPages} durable: copy the dirty pages, fdatasync (the data of every write those
 * pages describe reaches the host), write the copies, fdatasync again. That order is the durability contract: a
 * metadata bit on disk never points at data that is not there; copying before the first fdatasync means an edit made
 * while it runs waits for the next round instead of landing ahead of its data. Only one round runs at a time;
 * flushes requested meanwhile are served together by the next one (group commit), and no older copy of a page can
 * land after a newer one.
 */
public final class MetadataFlusher {
    private final HostFile file;
    private final IoEngine engine;
    private final MetadataPages pages;
    private List<IoCompletion> waiting = new ArrayList<>();
    private boolean running;

    public MetadataFlusher(HostFile file, IoEngine engine, MetadataPages pages) {
        this.file = file;
        this.engine = engine;
        this.pages = pages;
    }

    public void flush(IoCompletion done) {
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
        List<MetadataPages.PageImage> dirty = pages.takeDirty();
        engine.datasync(file, (r, e) -> {
            if (e != null) {
                pages.giveBack(dirty); // not written: their pages are dirty again
                finish(round, e);
                return;
            }
            if (dirty.isEmpty()) {
                finish(round, null);
                return;
            }
            Join written = new Join((r2, e2) -> {
                if (e2 != null) {
                    finish(round, e2);
                    return;
                }
                engine.datasync(file, (r3, e3) -> finish(round, e3));
                engine.submit();
            }, 0);
            for (MetadataPages.PageImage image : dirty) {
                if (pages.beginWrite(image)) {
                    written.fork();
                    engine.write(file, image.bytes(), image.fileOffset(), (n, we) -> {
                        pages.endWrite(image, we == null);
                        written.done(n, we);
                    });
                }
            }
            engine.submit();
            written.arm();
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
