package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

/**
 * An ISAM file over any {@link BlockImage}: unit u comes from this file where its index entry says, reads zeros when
 * discarded, else comes from the layer below. A write to a unit that has no data here gets a new place at the end of
 * the append area (the file grows with what is written, so no sparse file is needed); a write covering part of a
 * unit fills the rest from the layer below first (copy-on-write within a unit). Its entry is set when the data is
 * written and reaches the file at the next flush ({@link IsamFlusher}). Writes to one unit that needs a place wait
 * for each other, so a unit is never given two.
 */
final class IsamImage implements BlockImage {
    private final HostFile file;
    private final BlockImage backing;
    private final IoEngine engine;
    private final IsamHeader header;
    private final IsamIndex index;
    private final IsamFlusher flusher;
    private final boolean syncWrites;
    private final int ss;
    private final int unit;
    private final long capacity;
    /** Units getting a place now, with the requests that wait for it; guarded by this. */
    private final Map<Long, List<Runnable>> placing = new HashMap<>();

    IsamImage(HostFile file, BlockImage backing, IoEngine engine, IsamHeader header, IsamIndex index, boolean syncWrites) {
        this.file = file;
        this.backing = backing;
        this.engine = engine;
        this.header = header;
        this.index = index;
        this.syncWrites = syncWrites;
        this.ss = header.sectorSize();
        this.unit = header.unitSize();
        this.capacity = header.capacity();
        this.flusher = new IsamFlusher(file, engine, index, header);
    }

    @Override
    public long size() {
        return header.diskSize();
    }

    @Override
    public int sectorSize() {
        return ss;
    }

    @Override
    public boolean readOnly() {
        return file.readOnly();
    }

    /** Every entry the read needs is looked up (and checked) before any byte is read, so a bad one reads nothing. */
    @Override
    public void read(long offset, ByteBuffer dst, IoCompletion done) {
        int length = dst.remaining();
        if (length == 0) {
            done.done(0, null);
            return;
        }
        long first = offset / unit;
        long[] entries = new long[(int) ((offset + length - 1) / unit - first + 1)];
        try {
            for (int i = 0; i < entries.length; i++) {
                entries[i] = index.entry(first + i);
            }
        } catch (IOException e) {
            done.done(0, e);
            return;
        }
        int start = dst.position();
        long end = offset + length;
        Join join = new Join(done, length);
        for (long at = offset; at < end; ) {
            int i = (int) (at / unit - first);
            long e = entries[i];
            int j = i + 1;
            while (j < entries.length && continues(e, entries[j], j - i)) {
                j++;
            }
            long runEnd = Math.min(end, (first + j) * unit);
            int from = start + (int) (at - offset);
            int to = start + (int) (runEnd - offset);
            if (e == IsamIndex.ZERO) {
                Zeros.fill(dst, from, to);
            } else {
                ByteBuffer part = dst.duplicate().limit(to).position(from);
                join.fork();
                if (e == 0) {
                    LayerBelow.read(backing, at, part, from, to, dst, join);
                } else {
                    engine.read(file, part, e + at % unit, (n, err) -> {
                        if (err == null && n < to - from) {
                            Zeros.fill(dst, from + (int) n, to); // the last unit's place can end past the file
                        }
                        join.done(n, err);
                    });
                }
            }
            at = runEnd;
        }
        engine.submit();
        join.arm();
    }

    /** Whether the unit {@code k} after one with entry {@code e} can be read in the same run. */
    private boolean continues(long e, long next, int k) {
        if (!IsamIndex.isData(e)) {
            return next == e;
        }
        return next == e + (long) k * unit;
    }

    /**
     * Plans the whole request under the lock, then issues it: units with data are written in place, units without
     * get consecutive places (so a run of them is one host write), and a unit another request is placing, or a part
     * of a unit without data, goes alone through {@link #writeUnit}.
     */
    @Override
    public void write(long offset, ByteBuffer src, IoCompletion done) {
        int length = src.remaining();
        if (length == 0) {
            done.done(0, null);
            return;
        }
        Join join = new Join(durable(length, done), length);
        List<Runnable> issue = new ArrayList<>();
        IOException failure = null;
        synchronized (this) {
            long first = offset / unit;
            long[] entries = new long[(int) ((offset + length - 1) / unit - first + 1)];
            try {
                for (int i = 0; i < entries.length; i++) {
                    entries[i] = index.entry(first + i);
                }
                plan(offset, src, entries, join, issue);
            } catch (IOException e) {
                failure = e; // a bad entry is found before anything is planned; later, only host errors
            }
        }
        if (failure != null && issue.isEmpty()) {
            done.done(0, failure);
            return;
        }
        if (failure != null) {
            join.fork();
            join.done(0, failure);
        }
        issue.forEach(Runnable::run);
        engine.submit();
        join.arm();
    }

    /** One host write: bytes {@code [from, to)} of the request's buffer at {@code target}, and the units it places. */
    private final class Run {
        final boolean placing;
        final long target;
        final int from;
        int to;
        final List<long[]> placed = new ArrayList<>();

        Run(boolean placing, long target, int from) {
            this.placing = placing;
            this.target = target;
            this.from = from;
            this.to = from;
        }

        boolean continues(boolean placingToo, long at) {
            return placing == placingToo && target + (to - from) == at;
        }
    }

    private void plan(long offset, ByteBuffer src, long[] entries, Join join, List<Runnable> issue) throws IOException {
        int start = src.position();
        long first = offset / unit;
        long end = offset + src.remaining();
        Run run = null;
        for (long at = offset; at < end; ) {
            long u = at / unit;
            long pieceEnd = Math.min(end, (u + 1) * unit);
            int from = start + (int) (at - offset);
            int to = start + (int) (pieceEnd - offset);
            long e = entries[(int) (u - first)];
            boolean whole = at == u * unit && pieceEnd - at == unitLength(u);
            if (placing.containsKey(u) || !IsamIndex.isData(e) && !whole) {
                run = issue(run, src, join, issue);
                ByteBuffer piece = src.duplicate().limit(to).position(from).slice();
                long pieceAt = at;
                join.fork();
                issue.add(() -> writeUnit(u, pieceAt, piece, join));
            } else {
                boolean place = !IsamIndex.isData(e);
                long target;
                try {
                    target = place ? index.allocateData(u) : e + at % unit;
                } catch (IOException x) {
                    issue(run, src, join, issue); // what is planned goes out, so its units are released
                    throw x;
                }
                if (place) {
                    placing.put(u, new ArrayList<>());
                }
                if (run == null || !run.continues(place, target)) {
                    run = issue(run, src, join, issue);
                    run = new Run(place, target, from);
                }
                run.to = to;
                if (place) {
                    run.placed.add(new long[] {u, target});
                }
            }
            at = pieceEnd;
        }
        issue(run, src, join, issue);
    }

    /** Queues the host write of {@code run} (if any); returns null, the run to continue. */
    private Run issue(Run run, ByteBuffer src, Join join, List<Runnable> issue) {
        if (run == null) {
            return null;
        }
        ByteBuffer bytes = src.duplicate().limit(run.to).position(run.from).slice();
        join.fork();
        issue.add(() -> engine.write(file, bytes, run.target, run.placing ? whenPlaced(run.placed, join) : join));
        return null;
    }

    /**
     * Discards: a unit discarded whole keeps its place and has it punched (zeros where the host cannot punch), or
     * gets the {@link IsamIndex#ZERO} entry if it had no data here; part of a unit is written with zeros.
     */
    @Override
    public void discard(long offset, long length, IoCompletion done) {
        if (length == 0) {
            done.done(0, null);
            return;
        }
        Join join = new Join(durable(length, done), length);
        for (long at = offset; at < offset + length; ) {
            long u = at / unit;
            long unitStart = u * unit;
            long pieceEnd = Math.min(offset + length, unitStart + unitLength(u));
            join.fork();
            if (at == unitStart && pieceEnd == unitStart + unitLength(u)) {
                discardUnit(u, join);
            } else {
                writeUnit(u, at, ByteBuffer.allocate((int) (pieceEnd - at)), join);
            }
            at = pieceEnd;
        }
        engine.submit();
        join.arm();
    }

    /** With sync writes, a write completes only once durable, metadata included. */
    private IoCompletion durable(long length, IoCompletion done) {
        if (!syncWrites) {
            return done;
        }
        return (n, e) -> {
            if (e != null) {
                done.done(0, e);
            } else {
                flusher.flush((r, fe) -> done.done(fe == null ? length : 0, fe));
            }
        };
    }

    private long unitLength(long u) {
        return Math.min(unit, capacity - u * unit);
    }

    private void writeUnit(long u, long at, ByteBuffer data, IoCompletion done) {
        long e = 0;
        long place = 0;
        IOException failure = null;
        synchronized (this) {
            List<Runnable> waiting = placing.get(u);
            if (waiting != null) {
                waiting.add(() -> writeUnit(u, at, data, done));
                return;
            }
            try {
                e = index.entry(u);
                place = IsamIndex.isData(e) ? e : index.allocateData(u);
                if (!IsamIndex.isData(e)) {
                    placing.put(u, new ArrayList<>());
                }
            } catch (IOException x) {
                failure = x; // a bad entry: nothing is written
            }
        }
        if (failure != null) {
            done.done(0, failure);
            return;
        }
        if (IsamIndex.isData(e)) {
            engine.write(file, data, e + at % unit, done);
            return;
        }
        long unitStart = u * unit;
        int unitLen = (int) unitLength(u);
        long target = place;
        IoCompletion written = whenPlaced(List.of(new long[] {u, target}), done);
        if (at == unitStart && data.remaining() == unitLen) {
            engine.write(file, data, target, written);
            return;
        }
        ByteBuffer whole = ByteBuffer.allocate(unitLen);
        IoCompletion fill = (n, err) -> {
            if (err != null) {
                written.done(0, err);
                return;
            }
            whole.clear().put((int) (at - unitStart), data, data.position(), data.remaining());
            engine.write(file, whole, target, written);
            engine.submit();
        };
        if (e == IsamIndex.ZERO) {
            fill.done(unitLen, null);
        } else {
            LayerBelow.read(backing, unitStart, whole.duplicate(), 0, unitLen, whole, fill);
        }
    }

    /**
     * The completion for the data write of new places {@code units} ({@code {unit, place}}, one run): once that write,
     * the places' owner entries and the units' index pages are all in the file, the entries are set. So every entry
     * that can reach the disk points at bytes that are there, owned by its unit.
     */
    private IoCompletion whenPlaced(List<long[]> units, IoCompletion done) {
        Join ready = new Join((n, e) -> placed(units, e, done), 0);
        ready.fork(); // the data write, completed through the returned completion
        ready.fork();
        index.writeOwners(engine, units.get(0)[1], units.get(units.size() - 1)[1], ready);
        long lastPage = -1;
        for (long[] up : units) {
            long page = up[0] / IsamHeader.ENTRIES_PER_PAGE;
            if (page != lastPage) {
                ready.fork();
                index.ensurePage(up[0], engine, ready);
                lastPage = page;
            }
        }
        engine.submit();
        ready.arm();
        return ready;
    }

    /** Each {@code {unit, place}} of {@code units} is written (or failed to be): set the entries, resume waiters. */
    private void placed(List<long[]> units, IOException error, IoCompletion done) {
        IOException failure = error;
        List<Runnable> waiting = new ArrayList<>();
        synchronized (this) {
            for (long[] up : units) {
                if (failure == null) {
                    try {
                        index.set(up[0], up[1]);
                    } catch (IOException e) {
                        failure = e;
                    }
                }
                waiting.addAll(placing.remove(up[0]));
            }
        }
        done.done(0, failure);
        resume(waiting);
    }

    private void resume(List<Runnable> waiting) {
        if (waiting != null && !waiting.isEmpty()) {
            waiting.forEach(Runnable::run);
            engine.submit();
        }
    }

    private void discardUnit(long u, IoCompletion done) {
        long e;
        IOException failure = null;
        synchronized (this) {
            List<Runnable> waiting = placing.get(u);
            if (waiting != null) {
                waiting.add(() -> discardUnit(u, done));
                return;
            }
            try {
                e = index.entry(u);
                if (e == 0) {
                    placing.put(u, new ArrayList<>());
                }
            } catch (IOException x) {
                e = IsamIndex.ZERO;
                failure = x;
            }
        }
        if (IsamIndex.isData(e)) {
            engine.punchHole(file, e, unitLength(u), done);
        } else if (e == 0) {
            index.ensurePage(u, engine, (n, err) -> placed(List.of(new long[] {u, IsamIndex.ZERO}), err, done));
        } else {
            done.done(0, failure);
        }
    }

    @Override
    public void flush(IoCompletion done) {
        if (file.readOnly()) {
            done.done(0, null);
            return;
        }
        flusher.flush(done);
    }

    /** Units with an entry (data or discarded) are this layer's; a run of units without one is asked below. */
    @Override
    public Allocation allocation(long offset, long length) throws IOException {
        long end = offset + length;
        long lastUnit = (end - 1) / unit;
        boolean here = index.entry(offset / unit) != 0;
        long runEnd = (offset / unit + 1) * unit;
        while (runEnd < end) {
            long u = here ? runEnd / unit : index.nextWithPage(runEnd / unit, lastUnit + 1); // skip units without a page
            if (u > lastUnit || (index.entry(u) != 0) != here) {
                runEnd = Math.max(runEnd, u * unit);
                break;
            }
            runEnd = (u + 1) * unit;
        }
        long runLength = Math.min(runEnd, end) - offset;
        if (here) {
            return new Allocation(offset, runLength, 0);
        }
        return LayerBelow.allocation(backing, offset, runLength);
    }

    @Override
    public void plug() {
        LayerBelow.plug(engine, backing);
    }

    @Override
    public void unplug() {
        LayerBelow.unplug(engine, backing);
    }

    @Override
    public int cancelOlderThan(Duration age) {
        return LayerBelow.cancelOlderThan(engine, backing, age);
    }

    @Override
    public ImageInfo info() throws IOException {
        Map<String, Object> specific = new LinkedHashMap<>();
        specific.put("cow-format", IsamHeader.COW_FORMAT_ISAM);
        specific.put("unit-size", unit);
        specific.put("mtime", header.mtime());
        specific.put("directory-offset", IsamHeader.DIR_OFFSET);
        specific.put("directory-length", header.directoryLength());
        specific.put("area-offset", header.areaOffset());
        specific.put("area-end", index.allocatedEnd());
        return new ImageInfo(file.path(), IsamFormat.NAME, header.diskSize(), ss, file.size(),
                index.heldUnits() * unit, header.backingName(), specific, backing.info());
    }

    @Override
    public void close() throws IOException {
        LayerBelow.close(this, file, backing);
    }
}
