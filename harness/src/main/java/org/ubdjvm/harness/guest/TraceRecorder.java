package org.ubdjvm.harness.guest;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.ubdjvm.harness.NewFile;
import org.ubdjvm.hostio.PendingFile;
import org.ubdjvm.queue.RequestOp;

/**
 * Records every request the guest issues as fio's iolog version 3 ({@code fio version 3 iolog}, an {@code add} and an
 * {@code open} line per device, {@code TIME NAME read|write|sync|trim OFFSET LENGTH} per request in microseconds
 * since the start, a {@code close} per device at the end), so fio's {@code --read_iolog} and {@code ubd replay} can
 * replay it.
 *
 * <p>Submitters only claim a preallocated slot of a multi-producer Disruptor ring and fill in four numbers; a
 * background thread formats the lines. Nothing is allocated per request, and the submitter never touches the file
 * unless the writer is a whole ring behind (then it waits: back-pressure, never a lost record).
 *
 * <p>The file is made beside its name and put in place by {@link #close} only ({@link PendingFile}): an interrupted
 * run leaves no half trace.
 */
public final class TraceRecorder implements AutoCloseable {
    private static final int RING = 1 << 16;
    private static final String HEADER = "fio version 3 iolog";

    /** One request as submitted. */
    private static final class Entry {
        long nanos;
        int device;
        RequestOp op;
        long offset;
        long length;
    }

    private final List<String> names;
    private final PendingFile pending;
    private final BufferedWriter out;
    private final Disruptor<Entry> disruptor;
    private final RingBuffer<Entry> ring;
    private final long start = System.nanoTime();
    private final StringBuilder line = new StringBuilder(96);
    /** The writer's first failure; reported by {@link #close}. Written and read on the writer thread, then close. */
    private volatile IOException failure;
    private long lastMicros;

    /**
     * Starts a trace of the devices named {@code names} (the names the lines use, in device-index order) into
     * {@code file}; nothing has the final name until {@link #close}.
     */
    public TraceRecorder(Path file, List<String> names) throws IOException {
        this.names = List.copyOf(names);
        this.pending = begin(file);
        try {
            this.out = Files.newBufferedWriter(pending.path(), StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            out.write(HEADER);
            out.write('\n');
            for (String n : this.names) {
                out.write("0 " + n + " add\n");
            }
            for (String n : this.names) {
                out.write("0 " + n + " open\n");
            }
        } catch (IOException e) {
            pending.close();
            throw new IOException(file + ": cannot write the trace: " + e.getMessage(), e);
        }
        // The writer sleeps between batches instead of being signalled: a submitter's publish is then two stores.
        this.disruptor = new Disruptor<>(Entry::new, RING, r -> {
            Thread t = new Thread(r, "trace-writer");
            t.setDaemon(true);
            return t;
        }, ProducerType.MULTI, new SleepingWaitStrategy(200, TimeUnit.MILLISECONDS.toNanos(1)));
        disruptor.handleEventsWith((EventHandler<Entry>) (e, sequence, endOfBatch) -> write(e));
        this.ring = disruptor.start();
    }

    /** Refuses a trace file that cannot be made, before any device is opened. */
    public static void checkWritable(Path file) throws IOException {
        notADirectory(file);
        NewFile.requireWritable(file, "trace");
    }

    private static PendingFile begin(Path file) throws IOException {
        notADirectory(file);
        return PendingFile.beside(file, "trace");
    }

    private static void notADirectory(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException(file + ": is a directory; --trace names a file");
        }
    }

    /** Records one request of device {@code device} (an index into the names); call just before submitting it. */
    public void record(int device, RequestOp op, long offset, long length) {
        long seq = ring.next();
        Entry e = ring.get(seq);
        e.nanos = System.nanoTime();
        e.device = device;
        e.op = op;
        e.offset = offset;
        e.length = length;
        ring.publish(seq);
    }

    private void write(Entry e) {
        if (failure != null) {
            return;
        }
        // claim order is the trace's order; two submitters' clocks may be read a hair out of it
        lastMicros = Math.max(lastMicros, (e.nanos - start) / 1000);
        line.setLength(0);
        line.append(lastMicros).append(' ').append(names.get(e.device)).append(' ').append(action(e.op)).append(' ')
                .append(e.offset).append(' ').append(e.length).append('\n');
        try {
            out.append(line);
        } catch (IOException x) {
            failure = x;
        }
    }

    /** fio's names: a flush is fio's {@code sync} (offset and length 0), a discard its {@code trim}. */
    static String action(RequestOp op) {
        return switch (op) {
            case READ -> "read";
            case WRITE -> "write";
            case FLUSH -> "sync";
            case DISCARD -> "trim";
        };
    }

    /** Writes what is left and the close lines, and puts the trace in place. */
    @Override
    public void close() throws IOException {
        try (pending) {
            disruptor.shutdown(); // waits until the writer has taken every published entry
            if (failure != null) {
                throw failure;
            }
            long end = Math.max(lastMicros, (System.nanoTime() - start) / 1000);
            for (String n : names) {
                out.write(end + " " + n + " close\n");
            }
            out.close();
            pending.commit(true);
        } catch (IOException | UncheckedIOException e) {
            out.close();
            throw new IOException(pending.target() + ": cannot write the trace: " + e.getMessage(), e);
        }
    }
}
