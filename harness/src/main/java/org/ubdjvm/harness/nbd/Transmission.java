package org.ubdjvm.harness.nbd;

import static org.ubdjvm.cow.nbd.NbdWire.CMD_FLAG_DF;
import static org.ubdjvm.cow.nbd.NbdWire.CMD_FLAG_FAST_ZERO;
import static org.ubdjvm.cow.nbd.NbdWire.CMD_FLAG_FUA;
import static org.ubdjvm.cow.nbd.NbdWire.CMD_FLAG_NO_HOLE;
import static org.ubdjvm.cow.nbd.NbdWire.CMD_FLAG_REQ_ONE;
import static org.ubdjvm.cow.nbd.NbdWire.EINVAL;
import static org.ubdjvm.cow.nbd.NbdWire.EIO;
import static org.ubdjvm.cow.nbd.NbdWire.ENOSPC;
import static org.ubdjvm.cow.nbd.NbdWire.ENOTSUP;
import static org.ubdjvm.cow.nbd.NbdWire.EPERM;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.ubdjvm.cow.nbd.NbdWire;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.queue.RequestOp;

/**
 * The transmission phase of one connection: this (reader) thread decodes each request, checks it, and submits it
 * to the device's ring without waiting; the completion, on whatever thread the host finished it, queues the reply
 * for the connection's {@link ReplyWriter}. The connection's requests and payload bytes in flight are bounded, so a
 * client that does not read its replies stops being read, and holds no more than the budget.
 *
 * <p>Choices the protocol leaves open: sizes are the image's sector (minimum), 4 KiB (preferred) and 32 MiB
 * (largest payload). A read that is not sector-aligned is served from the aligned range around it (for clients
 * that did not negotiate sizes); an unaligned write or write-zeroes fails with EINVAL rather than being emulated
 * by read-modify-write, which would race with other writes to the same sector; a trim is rounded inward.
 */
final class Transmission {
    /** Requests in flight per connection, at most. */
    static final int MAX_REQUESTS = 256;
    /** Payload bytes in flight per connection, at most: two of the largest requests. */
    static final int MAX_BYTES = 2 * NbdExport.MAX_PAYLOAD;
    /** Write-zeroes that must allocate are written in pieces of this size, all from one buffer of zeros. */
    private static final int ZERO_CHUNK = 1 << 20;
    /** Block status looks at most this far per request (the protocol lets a reply cover less than asked). */
    private static final long MAX_STATUS_SPAN = 1L << 31;
    /** Block status reports at most this many runs per request. */
    private static final int MAX_STATUS_RUNS = 1 << 16;

    private final WireReader in;
    private final ReplyWriter writer;
    private final NbdExport export;
    private final UbdDevice device;
    private final Session session;
    private final BufferPool pool = new BufferPool();
    private final Semaphore requests = new Semaphore(MAX_REQUESTS);
    private final Semaphore bytes = new Semaphore(MAX_BYTES);
    private final long size;
    private final long sectorMask;
    private ByteBuffer zeros;

    Transmission(WireReader in, ReplyWriter writer, NbdExport export, Session session) {
        this.in = in;
        this.writer = writer;
        this.export = export;
        this.device = export.device();
        this.session = session;
        this.size = export.size();
        this.sectorMask = export.minimumBlock() - 1;
    }

    /** Serves requests until the client disconnects: {@code NBD_CMD_DISC} or a close between requests. */
    void run() throws IOException {
        while (in.more()) {
            int magic = in.readInt();
            if (magic != NbdWire.REQUEST_MAGIC) {
                throw new NbdProtocolException(String.format("bad request magic 0x%08x", magic));
            }
            int flags = in.readShort();
            int type = in.readShort();
            long cookie = in.readLong();
            long offset = in.readLong();
            long length = in.readInt() & 0xffffffffL;
            if (type == NbdWire.CMD_DISC) {
                return;
            }
            request(flags, type, cookie, offset, length);
        }
    }

    /** Waits until every request has completed and its reply is written (or dropped). */
    void drain() {
        requests.acquireUninterruptibly(MAX_REQUESTS);
        bytes.acquireUninterruptibly(MAX_BYTES);
        requests.release(MAX_REQUESTS);
        bytes.release(MAX_BYTES);
    }

    private void request(int flags, int type, long cookie, long offset, long length) throws IOException {
        switch (type) {
            case NbdWire.CMD_READ -> read(flags, cookie, offset, length);
            case NbdWire.CMD_WRITE -> write(flags, cookie, offset, length);
            case NbdWire.CMD_FLUSH -> {
                Ticket t = begin(cookie, 0, null);
                if ((flags & ~CMD_FLAG_FUA) != 0) {
                    t.fail(EINVAL, "unknown flags on flush");
                } else {
                    device.submit(RequestOp.FLUSH, 0, null, new Pending(t, 1)::completed);
                }
            }
            case NbdWire.CMD_TRIM -> trim(flags, cookie, offset, length);
            case NbdWire.CMD_CACHE -> {
                Ticket t = begin(cookie, 0, null);
                if ((flags & ~CMD_FLAG_FUA) != 0) {
                    t.fail(EINVAL, "unknown flags on cache");
                } else if (!within(offset, length)) {
                    t.fail(EINVAL, outside("cache", offset, length));
                } else {
                    t.ok(); // a hint; the host's page cache does what caching there is
                }
            }
            case NbdWire.CMD_WRITE_ZEROES -> writeZeroes(flags, cookie, offset, length);
            case NbdWire.CMD_BLOCK_STATUS -> blockStatus(flags, cookie, offset, length);
            default -> begin(cookie, 0, null).fail(EINVAL, "unknown command " + type);
        }
    }

    private void read(int flags, long cookie, long offset, long length) throws IOException {
        int allowed = CMD_FLAG_FUA | (session.structured() ? CMD_FLAG_DF : 0);
        if ((flags & ~allowed) != 0) {
            begin(cookie, 0, null).fail(EINVAL, "unknown flags on read");
            return;
        }
        if (length > NbdExport.MAX_PAYLOAD) {
            begin(cookie, 0, null).fail(EINVAL, "read of " + length + " bytes: more than the largest payload, "
                    + NbdExport.MAX_PAYLOAD);
            return;
        }
        if (!within(offset, length)) {
            begin(cookie, 0, null).fail(EINVAL, outside("read", offset, length));
            return;
        }
        if (length == 0) {
            Ticket t = begin(cookie, 0, null);
            t.send(session.structured() ? none(cookie) : Reply.simple(cookie, 0), null);
            return;
        }
        long from = offset & ~sectorMask;
        long to = (offset + length + sectorMask) & ~sectorMask;
        int span = (int) (to - from);
        ByteBuffer buffer = take(span);
        if (buffer == null) {
            begin(cookie, 0, null).fail(NbdWire.ENOMEM, "no memory for a read of " + length + " bytes");
            return;
        }
        Ticket t = begin(cookie, span, buffer);
        device.submit(RequestOp.READ, from, buffer, (result, error) -> {
            if (error != null) {
                t.fail(errno(error), error.getMessage());
                return;
            }
            int skip = (int) (offset - from);
            ByteBuffer data = buffer.duplicate().limit(skip + (int) length).position(skip);
            t.send(session.structured() ? Reply.readData(cookie, offset, (int) length) : Reply.simple(cookie, 0), data);
        });
    }

    private void write(int flags, long cookie, long offset, long length) throws IOException {
        if (length > NbdExport.MAX_PAYLOAD) {
            // the payload follows whatever we answer; passing by up to 4 GiB of it is not worth the risk
            throw new NbdProtocolException("write of " + length + " bytes, more than the largest payload, "
                    + NbdExport.MAX_PAYLOAD);
        }
        int n = (int) length;
        int errno = 0;
        String problem = null;
        if ((flags & ~CMD_FLAG_FUA) != 0) {
            errno = EINVAL;
            problem = "unknown flags on write";
        } else if (export.readOnly()) {
            errno = EPERM;
            problem = "the export is read-only";
        } else if (!within(offset, length)) {
            errno = ENOSPC;
            problem = outside("write", offset, length);
        } else if (((offset | length) & sectorMask) != 0) {
            errno = EINVAL;
            problem = unaligned("write", offset, length);
        }
        if (problem != null) {
            in.skip(n); // the payload is read and dropped: the next request follows it
            begin(cookie, 0, null).fail(errno, problem);
            return;
        }
        ByteBuffer buffer = take(n);
        if (buffer == null) {
            in.skip(n);
            begin(cookie, 0, null).fail(NbdWire.ENOMEM, "no memory for a write of " + length + " bytes");
            return;
        }
        Ticket t = begin(cookie, n, buffer);
        try {
            in.readFully(buffer);
        } catch (IOException e) {
            t.release(); // the client left in the middle of its payload: nothing is written
            throw e;
        }
        buffer.flip();
        if (n == 0) {
            t.ok();
            return;
        }
        boolean fua = (flags & CMD_FLAG_FUA) != 0;
        Pending p = new Pending(t, fua ? 2 : 1);
        device.submit(RequestOp.WRITE, offset, buffer, p::completed);
        if (fua) {
            device.submit(RequestOp.FLUSH, 0, null, p::completed); // a barrier: it runs after the write completes
        }
    }

    private void trim(int flags, long cookie, long offset, long length) {
        Ticket t = begin(cookie, 0, null);
        if ((flags & ~CMD_FLAG_FUA) != 0) {
            t.fail(EINVAL, "unknown flags on trim");
        } else if (export.readOnly()) {
            t.fail(EPERM, "the export is read-only");
        } else if (!within(offset, length)) {
            t.fail(EINVAL, outside("trim", offset, length));
        } else {
            long from = (offset + sectorMask) & ~sectorMask; // a trim may discard less than asked: round inward
            long to = (offset + length) & ~sectorMask;
            if (to <= from) {
                t.ok();
                return;
            }
            boolean fua = (flags & CMD_FLAG_FUA) != 0;
            Pending p = new Pending(t, fua ? 2 : 1);
            device.discard(from, to - from, p::completed);
            if (fua) {
                device.submit(RequestOp.FLUSH, 0, null, p::completed);
            }
        }
    }

    /**
     * Zeroes: a discard (it reads as zeros afterwards, and is fast: a hole punched or a COW sector marked) unless
     * NO_HOLE asks for allocated zeros, which are written, so FAST_ZERO with NO_HOLE fails with ENOTSUP.
     */
    private void writeZeroes(int flags, long cookie, long offset, long length) {
        Ticket t = begin(cookie, 0, null);
        boolean noHole = (flags & CMD_FLAG_NO_HOLE) != 0;
        if ((flags & ~(CMD_FLAG_FUA | CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO)) != 0) {
            t.fail(EINVAL, "unknown flags on write-zeroes");
        } else if (export.readOnly()) {
            t.fail(EPERM, "the export is read-only");
        } else if (!within(offset, length)) {
            t.fail(ENOSPC, outside("write-zeroes", offset, length));
        } else if (((offset | length) & sectorMask) != 0) {
            t.fail(EINVAL, unaligned("write-zeroes", offset, length));
        } else if (noHole && (flags & CMD_FLAG_FAST_ZERO) != 0) {
            t.fail(ENOTSUP, "allocated zeros are written, no faster than a write");
        } else if (length == 0) {
            t.ok();
        } else {
            boolean fua = (flags & CMD_FLAG_FUA) != 0;
            int pieces = noHole ? (int) ((length + ZERO_CHUNK - 1) / ZERO_CHUNK) : 1;
            Pending p = new Pending(t, pieces + (fua ? 1 : 0));
            if (noHole) {
                for (long at = offset; at < offset + length; at += ZERO_CHUNK) {
                    int piece = (int) Math.min(ZERO_CHUNK, offset + length - at);
                    device.submit(RequestOp.WRITE, at, zeros().duplicate().limit(piece), p::completed);
                }
            } else {
                device.discard(offset, length, p::completed);
            }
            if (fua) {
                device.submit(RequestOp.FLUSH, 0, null, p::completed);
            }
        }
    }

    /**
     * A payload buffer, or null when direct memory is exhausted (many clients with 32 MiB requests at once): that
     * request fails with ENOMEM, and the connection and the server go on.
     */
    private ByteBuffer take(int length) {
        try {
            return pool.take(length);
        } catch (OutOfMemoryError e) {
            return null;
        }
    }

    private ByteBuffer zeros() {
        if (zeros == null) {
            zeros = ByteBuffer.allocateDirect(ZERO_CHUNK); // only ever read from
        }
        return zeros;
    }

    /**
     * Answered here, from the stack's allocation runs (metadata, not I/O): one chunk per selected context, extents
     * starting at {@code offset}; the last may reach past the request, as the protocol allows.
     */
    private void blockStatus(int flags, long cookie, long offset, long length) {
        Ticket t = begin(cookie, 0, null);
        if (!session.structured() || session.contexts().isEmpty()) {
            t.fail(EINVAL, "block status needs a metadata context selected (NBD_OPT_SET_META_CONTEXT)");
            return;
        }
        if ((flags & ~(CMD_FLAG_FUA | CMD_FLAG_REQ_ONE)) != 0) {
            t.fail(EINVAL, "unknown flags on block status");
            return;
        }
        if (length == 0 || !within(offset, length)) {
            t.fail(EINVAL, outside("block status", offset, length));
            return;
        }
        BlockStatus status;
        try {
            status = BlockStatus.of(device, offset, length, export.minimumBlock(), MAX_STATUS_SPAN, MAX_STATUS_RUNS);
        } catch (IOException e) {
            t.fail(EIO, e.getMessage());
            return;
        }
        t.send(status.encode(cookie, session.contexts(), (flags & CMD_FLAG_REQ_ONE) != 0, length), null);
    }

    private static ByteBuffer none(long cookie) {
        return Reply.chunkHeader(ByteBuffer.allocate(NbdWire.STRUCTURED_REPLY_HEADER_BYTES), cookie,
                NbdWire.REPLY_FLAG_DONE, NbdWire.REPLY_TYPE_NONE, 0).flip();
    }

    /** Whether {@code [offset, offset + length)} lies in the export; {@code offset} is unsigned on the wire. */
    private boolean within(long offset, long length) {
        return offset >= 0 && offset <= size && length <= size - offset;
    }

    private String outside(String what, long offset, long length) {
        return what + " of " + length + " bytes at offset " + Long.toUnsignedString(offset)
                + " is outside the export (" + size + " bytes)";
    }

    private String unaligned(String what, long offset, long length) {
        return what + " of " + length + " bytes at offset " + offset + " is not aligned to the "
                + export.minimumBlock() + "-byte block size";
    }

    /** The protocol's error for a host failure: ENOSPC for a full disk, EPERM for a refused write, else EIO. */
    static int errno(IOException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("ENOSPC") || m.contains("EDQUOT") || m.contains("EFBIG")) {
            return ENOSPC;
        }
        return m.contains(" refused") || m.contains("read-only") ? EPERM : EIO;
    }

    /** Takes a request's share of the in-flight budget (waiting for it), to be given back by its reply. */
    private Ticket begin(long cookie, int payload, ByteBuffer buffer) {
        requests.acquireUninterruptibly();
        bytes.acquireUninterruptibly(payload);
        return new Ticket(cookie, payload, buffer);
    }

    /** One request between its acceptance and its reply. */
    private final class Ticket {
        private final long cookie;
        private final int payload;
        private final ByteBuffer buffer;

        Ticket(long cookie, int payload, ByteBuffer buffer) {
            this.cookie = cookie;
            this.payload = payload;
            this.buffer = buffer;
        }

        void ok() {
            send(Reply.simple(cookie, 0), null);
        }

        void fail(int errno, String message) {
            send(Reply.error(session, cookie, errno, message), null);
        }

        void send(ByteBuffer head, ByteBuffer data) {
            writer.send(new Reply(head, data, this::release));
        }

        void release() {
            if (buffer != null) {
                pool.give(buffer);
            }
            bytes.release(payload);
            requests.release();
        }
    }

    /** Several host completions (pieces, a FUA flush) that make one reply: the last one sends it. */
    private static final class Pending {
        private final Ticket ticket;
        private final AtomicInteger left;
        private final AtomicReference<IOException> first = new AtomicReference<>();

        Pending(Ticket ticket, int completions) {
            this.ticket = ticket;
            this.left = new AtomicInteger(completions);
        }

        void completed(long result, IOException error) {
            if (error != null) {
                first.compareAndSet(null, error);
            }
            if (left.decrementAndGet() == 0) {
                IOException e = first.get();
                if (e == null) {
                    ticket.ok();
                } else {
                    ticket.fail(errno(e), e.getMessage());
                }
            }
        }
    }
}
