package org.ubdjvm.harness.guest;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ubdjvm.queue.RequestOp;

/**
 * An fio iolog read into arrays (a trace of millions of requests stays a few bytes each): version 3 ({@code TIME NAME
 * ACTION [OFFSET LENGTH]}, time in microseconds since the start), as {@code ubd run --trace} and fio 3.31+ write
 * it, and version 2 (no times; {@code wait} lines give the pauses), as older fio writes it. Files are numbered in
 * the order of their {@code add} lines. {@code sync} and {@code datasync} are flushes, {@code trim} a discard;
 * {@code open} and {@code close} change nothing here. Anything else is an error naming the file, line and reason,
 * where fio would skip the line with a warning: a replay that silently drops requests proves nothing.
 */
public final class IoLog {
    private static final String V2 = "fio version 2 iolog";
    private static final String V3 = "fio version 3 iolog";
    private static final RequestOp[] OPS = RequestOp.values();

    private final Path source;
    private final List<String> files;
    private final int count;
    private final long[] micros;
    private final byte[] op;
    private final int[] file;
    private final long[] offset;
    private final long[] length;
    private final int[] line;

    private IoLog(Path source, List<String> files, int count, long[] micros, byte[] op, int[] file, long[] offset,
            long[] length, int[] line) {
        this.source = source;
        this.files = List.copyOf(files);
        this.count = count;
        this.micros = micros;
        this.op = op;
        this.file = file;
        this.offset = offset;
        this.length = length;
        this.line = line;
    }

    public Path source() {
        return source;
    }

    /** The file names, in the order they were added. */
    public List<String> files() {
        return files;
    }

    /** Requests (not file actions). */
    public int size() {
        return count;
    }

    long micros(int i) {
        return micros[i];
    }

    RequestOp op(int i) {
        return OPS[op[i]];
    }

    int file(int i) {
        return file[i];
    }

    long offset(int i) {
        return offset[i];
    }

    long length(int i) {
        return length[i];
    }

    /** Where request {@code i} is in the file, for messages: {@code t.log line 12}. */
    String where(int i) {
        return source + " line " + line[i];
    }

    /** Requests of each op, in {@link RequestOp} order. */
    public long[] countByOp() {
        long[] n = new long[OPS.length];
        for (int i = 0; i < count; i++) {
            n[op[i]]++;
        }
        return n;
    }

    public static IoLog read(Path path) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.ISO_8859_1)) {
            return new Parser(path).parse(in);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException(path + ": no such trace file", e);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IOException(path + ": cannot read the trace: permission denied", e);
        }
    }

    private static final class Parser {
        private final Path path;
        private final List<String> files = new ArrayList<>();
        private int count;
        private long[] micros = new long[1024];
        private byte[] op = new byte[1024];
        private int[] file = new int[1024];
        private long[] offset = new long[1024];
        private long[] length = new long[1024];
        private int[] lines = new int[1024];
        private int lineNo;

        Parser(Path path) {
            this.path = path;
        }

        IoLog parse(BufferedReader in) throws IOException {
            String header = in.readLine();
            lineNo = 1;
            boolean v3;
            if (header != null && header.startsWith(V3)) {
                v3 = true;
            } else if (header != null && header.startsWith(V2)) {
                v3 = false;
            } else {
                throw new IOException(path + " line 1: not an fio iolog: expected '" + V3 + "' or '" + V2 + "', found '"
                        + (header == null ? "(empty file)" : shorten(header)) + "'");
            }
            long clock = 0; // version 2: the sum of the waits so far
            for (String text = in.readLine(); text != null; text = in.readLine()) {
                lineNo++;
                String[] f = text.strip().split("\\s+");
                if (f.length == 1 && f[0].isEmpty()) {
                    continue;
                }
                int at = 0;
                long time = clock;
                if (v3) {
                    time = number(f, at++, "timestamp");
                }
                if (f.length - at != 2 && f.length - at != 4) {
                    throw bad("expected " + (v3 ? "TIME " : "") + "FILE ACTION [OFFSET LENGTH], found '" + shorten(text) + "'");
                }
                String name = f[at];
                String action = f[at + 1];
                if (f.length - at == 2) {
                    fileAction(name, action);
                    continue;
                }
                long off = number(f, at + 2, "offset");
                long len = number(f, at + 3, "length");
                if (action.equals("wait")) {
                    if (v3) {
                        throw bad("'wait' is not allowed in a version 3 iolog (the timestamps say when)");
                    }
                    clock += off;
                    continue;
                }
                RequestOp o = switch (action) {
                    case "read" -> RequestOp.READ;
                    case "write" -> RequestOp.WRITE;
                    case "sync", "datasync" -> RequestOp.FLUSH;
                    case "trim" -> RequestOp.DISCARD;
                    default -> throw bad("unknown action '" + shorten(action) + "' (read, write, sync, datasync, trim, wait)");
                };
                int index = files.indexOf(name);
                if (index < 0) {
                    throw bad("file '" + shorten(name) + "' was never added (a '" + name + " add' line comes first)");
                }
                if (o != RequestOp.FLUSH && len == 0) {
                    throw bad(action + " of 0 bytes");
                }
                add(time, o, index, o == RequestOp.FLUSH ? 0 : off, o == RequestOp.FLUSH ? 0 : len);
            }
            return new IoLog(path, files, count, micros, op, file, offset, length, lines);
        }

        private void fileAction(String name, String action) throws IOException {
            switch (action) {
                case "add" -> {
                    if (!files.contains(name)) {
                        files.add(name);
                    }
                }
                case "open", "close" -> {
                    if (!files.contains(name)) {
                        throw bad("file '" + shorten(name) + "' is " + action + "ed but was never added");
                    }
                }
                default -> throw bad("unknown file action '" + shorten(action) + "' (add, open, close)");
            }
        }

        private void add(long time, RequestOp o, int index, long off, long len) {
            if (count == micros.length) {
                int n = count * 2;
                micros = Arrays.copyOf(micros, n);
                op = Arrays.copyOf(op, n);
                file = Arrays.copyOf(file, n);
                offset = Arrays.copyOf(offset, n);
                length = Arrays.copyOf(length, n);
                lines = Arrays.copyOf(lines, n);
            }
            micros[count] = time;
            op[count] = (byte) o.ordinal();
            file[count] = index;
            offset[count] = off;
            length[count] = len;
            lines[count] = lineNo;
            count++;
        }

        private long number(String[] f, int i, String what) throws IOException {
            if (i >= f.length) {
                throw bad("missing " + what);
            }
            try {
                long v = Long.parseLong(f[i]);
                if (v < 0) {
                    throw bad(what + " " + v + " is negative");
                }
                return v;
            } catch (NumberFormatException e) {
                throw bad(what + " '" + shorten(f[i]) + "' is not a number");
            }
        }

        private IOException bad(String why) {
            return new IOException(path + " line " + lineNo + ": " + why);
        }

        private static String shorten(String s) {
            return s.length() > 60 ? s.substring(0, 60) + "..." : s;
        }
    }
}
