package org.ubdjvm.harness.cli;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.OpenMode;
import org.ubdjvm.hostio.SyncEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ubd io}: qemu-io -c, without the timings. Stops at the first failure; exit 1 on a pattern mismatch. */
@Command(name = "io", description = {"Run read/write/flush commands on an image, in order.",
        "  ubd io -c 'write -P 0xab 0 64k' -c flush disk.cow",
        "  ubd io -r -c 'read -P 0xab 0 64k' disk.cow",
        "  ubd io -f raw -c 'write -s boot.bin 0 4k' disk.img",
        "OFF and LEN take k/M/G/T suffixes and must be multiples of the image's sector size.",
        "BYTE is decimal or 0x hex; write's default pattern is 0xcd; read checks only with -P.",
        "write -s FILE writes FILE's bytes from its start, repeated if FILE is shorter than LEN."})
final class IoCommand implements Callable<Integer> {
    /** Large requests go in pieces of this size so `write 0 4G` needs no 4 GiB buffer. */
    private static final int CHUNK = 1 << 20;

    @Spec
    CommandSpec spec;

    @Mixin
    ImageOptions image;

    @Option(names = "-r", description = "open read-only")
    boolean readOnly;

    @Option(names = "-c", paramLabel = "CMD", required = true,
            description = "read [-P BYTE] OFF LEN | write [-P BYTE | -s FILE] OFF LEN | flush (repeatable)")
    List<String> commands;

    @Parameters(paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws IOException {
        List<IoOp> ops = commands.stream().map(c -> IoOp.parse(spec.commandLine(), c)).toList();
        PrintWriter out = spec.commandLine().getOut();
        Map<Path, HostFile> sources = new HashMap<>();
        // close() flushes a writable image, so what the commands wrote is durable when we exit 0
        try (Closeable closeSources = () -> closeAll(sources.values())) {
            for (IoOp op : ops) {
                if (op.source() != null && !sources.containsKey(op.source())) {
                    sources.put(op.source(), openSource(op.source())); // before the image: a bad one changes nothing
                }
            }
            try (IoEngine engine = new SyncEngine();
                 BlockImage disk = image.open(file, readOnly, engine, spec.commandLine().getErr())) {
                for (IoOp op : ops) {
                    if (!run(disk, op, sources.get(op.source()), out)) {
                        return UbdMain.MISMATCH;
                    }
                }
            }
        }
        return UbdMain.OK;
    }

    private static HostFile openSource(Path source) throws IOException {
        HostFile f = HostFile.open(source, OpenMode.READ_ONLY);
        if (f.size() == 0) {
            f.close();
            throw new ImageException(source, "is empty: write -s needs bytes to write");
        }
        return f;
    }

    private static void closeAll(Iterable<HostFile> files) throws IOException {
        for (HostFile f : files) {
            f.close();
        }
    }

    /** Bytes {@code [from, from + buf.limit())} of {@code source} repeated end to end, into {@code buf}. */
    private static void fill(ByteBuffer buf, HostFile source, long from) throws IOException {
        long size = source.size();
        for (int at = 0; at < buf.limit(); ) {
            long pos = (from + at) % size;
            int n = source.read(buf.duplicate().limit((int) Math.min(buf.limit(), at + size - pos)).position(at), pos);
            if (n <= 0) {
                throw new ImageException(source.path(), "shrank while being read");
            }
            at += n;
        }
    }

    /** False on a pattern mismatch (already reported). */
    private boolean run(BlockImage disk, IoOp op, HostFile source, PrintWriter out) throws IOException {
        if (op.kind() == IoOp.Kind.FLUSH) {
            BlockIo.flush(disk);
            return true;
        }
        checkRange(disk, op);
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, op.length()));
        boolean write = op.kind() == IoOp.Kind.WRITE;
        if (write && source == null) {
            Arrays.fill(buf.array(), (byte) (int) op.pattern());
        }
        for (long done = 0; done < op.length(); done += buf.limit()) {
            buf.clear().limit((int) Math.min(buf.capacity(), op.length() - done));
            long at = op.offset() + done;
            if (write) {
                if (source != null) {
                    fill(buf, source, done);
                }
                BlockIo.write(disk, at, buf);
            } else {
                BlockIo.read(disk, at, buf);
                if (op.pattern() != null && !verify(buf, at, op.pattern(), out)) {
                    return false;
                }
            }
        }
        out.printf("%s %d/%d bytes at offset %d%n", write ? "wrote" : "read", op.length(), op.length(), op.offset());
        return true;
    }

    /** The whole request is checked before its first piece goes out, so a bad one changes nothing. */
    private void checkRange(BlockImage disk, IoOp op) throws ImageException {
        int ss = disk.sectorSize();
        if (op.offset() % ss != 0 || op.length() % ss != 0) {
            throw new ImageException(file, "request at offset " + op.offset() + ", length " + op.length()
                    + " is not aligned to the sector size " + ss);
        }
        if (op.offset() > disk.capacity() - op.length()) { // no overflow for huge OFF
            throw new ImageException(file, "request at offset " + op.offset() + ", length " + op.length()
                    + " ends past the end of the disk (" + disk.capacity() + " bytes)");
        }
    }

    private boolean verify(ByteBuffer buf, long at, int pattern, PrintWriter out) {
        for (int i = 0; i < buf.limit(); i++) {
            int found = buf.get(i) & 0xff;
            if (found != pattern) {
                out.printf("%s: pattern mismatch at offset %d: expected 0x%02x, found 0x%02x%n", file, at + i,
                        pattern, found);
                return false;
            }
        }
        return true;
    }
}
