package org.ubdjvm.harness.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.nbd.NbdWire;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceFlags;
import org.ubdjvm.driver.DeviceSpec;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.IoEngines;

/**
 * Malformed handshakes and commands (seeded, over 10 000) against a served V3 COW while one honest client keeps
 * writing and verifying, and another never reads its replies: every hostile request gets the protocol's error or a
 * closed connection, the server keeps running, the honest client never sees a wrong byte, and in the end the image
 * holds exactly the honest client's writes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileClientTest {
    private static final int SIZE = 4 << 20;
    /** The honest client writes only below this; the hostile ones aim anywhere, and must never write. */
    private static final int HONEST = 2 << 20;
    private static final int CASES = 10_500;
    private static final int HOSTILE_THREADS = 3;

    @TempDir
    Path dir;

    private Path base;
    private Path cow;
    private Path socket;
    private IoEngine engine;
    private UbdDevice device;
    private NbdServer server;
    private final Queue<String> warnings = new ConcurrentLinkedQueue<>();
    private final Queue<Throwable> uncaught = new ConcurrentLinkedQueue<>();
    private Thread.UncaughtExceptionHandler previousHandler;

    @BeforeEach
    void serve() throws IOException {
        base = dir.resolve("base.img");
        byte[] pattern = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            pattern[i] = (byte) (i / 512 % 251 + 1);
        }
        Files.write(base, pattern);
        cow = dir.resolve("top.cow");
        FormatTable.standard().create(CreateSpec.of(cow, "cow").withBacking(base));
        engine = IoEngines.select(IoEngines.AUTO).engine();
        DeviceFlags flags = DeviceFlags.DEFAULT;
        device = UbdDevice.open(new DeviceSpec(0, cow, null, null, flags),
                DeviceEnvironment.of(ImageOpener.over(engine)), null);
        socket = dir.resolve("nbd.sock");
        previousHandler = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(e));
        server = NbdServer.start(NbdAddress.unix(socket).bind(), new NbdExport("", "", device), 0, warnings::add);
    }

    @AfterEach
    void stop() throws IOException {
        try {
            if (server != null) {
                server.close();
            }
            if (device != null) {
                device.close();
            }
        } finally {
            engine.close();
            Thread.setDefaultUncaughtExceptionHandler(previousHandler);
        }
    }

    @Test
    void hostileClientsGetErrorsOrClosedConnectionsAndHurtNobody() throws Exception {
        byte[] model = new byte[SIZE];
        System.arraycopy(Files.readAllBytes(base), 0, model, 0, SIZE);
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong verified = new AtomicLong();
        AtomicReference<Throwable> honestFailure = new AtomicReference<>();
        Thread honest = new Thread(() -> {
            try {
                writeAndVerify(model, done, verified);
            } catch (Throwable e) {
                honestFailure.set(e);
            }
        }, "honest-client");
        honest.start();

        WireClient slow = WireClient.go(socket); // asks for more reads than its budget, and reads no reply
        ByteBuffer reads = ByteBuffer.allocate(400 * 28);
        for (int i = 0; i < 400; i++) {
            reads.putInt(NbdWire.REQUEST_MAGIC).putShort((short) 0).putShort((short) NbdWire.CMD_READ).putLong(i)
                    .putLong(i * 65536L % SIZE).putInt(65536);
        }
        slow.send(reads.flip());

        int connections = 0;
        ExecutorService hostile = Executors.newFixedThreadPool(HOSTILE_THREADS);
        try {
            List<Future<Integer>> runs = new ArrayList<>();
            for (int t = 0; t < HOSTILE_THREADS; t++) {
                Random random = new Random(20261202 + t);
                runs.add(hostile.submit(() -> {
                    int n = 0;
                    for (int i = 0; i < CASES / HOSTILE_THREADS; i++) {
                        n += hostileCase(random);
                    }
                    return n;
                }));
            }
            for (Future<Integer> f : runs) {
                connections += f.get();
            }
        } finally {
            hostile.shutdownNow();
        }
        slow.close();
        done.set(true);
        honest.join();

        if (honestFailure.get() != null) {
            throw new AssertionError("the honest client failed", honestFailure.get());
        }
        assertTrue(verified.get() > 20, "the honest client kept working: " + verified.get() + " verified writes");
        assertEquals(List.of(), List.copyOf(uncaught), "no server thread died");
        assertTrue(warnings.size() <= connections + 1, warnings.size() + " warnings for " + connections);
        for (String w : warnings) {
            assertTrue(!w.contains("\n") && w.startsWith("nbd: nbd-client-"), w);
        }
        try (WireClient after = WireClient.go(socket)) { // the server still serves
            after.request(0, NbdWire.CMD_READ, 1, 0, 512);
            assertEquals(0, after.reply(1));
            assertArrayEquals(slice(model, 0, 512), after.read(512).array());
        }
        server.close();
        server = null;
        device.close();
        device = null;
        try (BlockImage image = FormatTable.standard().open(OpenSpec.of(cow, engine).withReadOnly(true))) {
            ByteBuffer all = ByteBuffer.allocate(SIZE);
            BlockIo.read(image, 0, all);
            assertArrayEquals(model, all.array(), "the image holds the honest writes and nothing else");
        }
    }

    /**
     * A client that connects and says nothing is dropped once the handshake limit passes, with one warning, so it
     * cannot hold the only client slot for ever: the next client, waiting behind it, is served.
     */
    @Test
    void aSilentClientIsDroppedAtTheHandshakeLimitAndFreesItsSlot() throws Exception {
        Path other = dir.resolve("limited.sock");
        Queue<String> said = new ConcurrentLinkedQueue<>();
        try (NbdServer limited = NbdServer.start(NbdAddress.unix(other).bind(), new NbdExport("", "", device), 1,
                said::add, java.time.Duration.ofMillis(300))) {
            try (WireClient silent = WireClient.connect(other)) {
                long start = System.nanoTime();
                try (WireClient next = WireClient.go(other)) { // waits in the backlog until the silent one is gone
                    next.request(0, NbdWire.CMD_READ, 1, 0, 512);
                    assertEquals(0, next.reply(1));
                    next.read(512);
                    next.disconnect();
                }
                assertTrue(System.nanoTime() - start >= 250_000_000L, "served only after the limit");
                assertTrue(silent.closedByServer());
            }
        }
        assertEquals(List.of("nbd: nbd-client-1: handshake not finished within 0.3 s; connection closed"),
                List.copyOf(said));
    }

    /** 4 KiB writes of random bytes at random sectors below HONEST, each read back and compared. */
    private void writeAndVerify(byte[] model, AtomicBoolean done, AtomicLong verified) throws IOException {
        Random random = new Random(7);
        try (WireClient c = WireClient.go(socket)) {
            long cookie = 0;
            while (!done.get()) {
                int offset = 512 * random.nextInt((HONEST - 4096) / 512);
                byte[] data = new byte[4096];
                random.nextBytes(data);
                c.request(random.nextInt(4) == 0 ? NbdWire.CMD_FLAG_FUA : 0, NbdWire.CMD_WRITE, ++cookie, offset, 4096);
                c.send(data);
                assertEquals(0, c.reply(cookie));
                System.arraycopy(data, 0, model, offset, 4096);
                c.request(0, NbdWire.CMD_READ, ++cookie, offset, 4096);
                assertEquals(0, c.reply(cookie));
                assertArrayEquals(data, c.read(4096).array(), "read back at " + offset);
                verified.incrementAndGet();
            }
            c.request(0, NbdWire.CMD_FLUSH, ++cookie, 0, 0);
            assertEquals(0, c.reply(cookie));
            c.disconnect();
        }
    }

    /** One hostile exchange on a connection of its own; returns 1 (the connection). */
    private int hostileCase(Random r) throws IOException {
        int kind = r.nextInt(20);
        try (WireClient c = WireClient.connect(socket)) {
            if (kind < 6) {
                handshake(c, kind, r);
            } else {
                c.send(ByteBuffer.allocate(4).putInt(NbdWire.FLAG_C_FIXED_NEWSTYLE).flip());
                c.option(NbdWire.OPT_GO, ByteBuffer.allocate(6).putInt(0).putShort((short) 0).array());
                while (c.finalOptionReply() != NbdWire.REP_ACK) {
                    throw new AssertionError("GO refused");
                }
                command(c, kind, r);
            }
        }
        return 1;
    }

    private static void handshake(WireClient c, int kind, Random r) throws IOException {
        switch (kind) {
            case 0 -> { // unknown client flags
                c.send(ByteBuffer.allocate(4).putInt(4 << r.nextInt(28)).flip());
                assertTrue(c.closedByServer());
            }
            case 1 -> { // garbage where options belong
                c.send(ByteBuffer.allocate(4).putInt(NbdWire.FLAG_C_FIXED_NEWSTYLE).flip());
                byte[] junk = new byte[16 + r.nextInt(200)];
                r.nextBytes(junk);
                c.send(junk);
                assertTrue(c.closedByServer());
            }
            case 2 -> { // an option claiming more data than anyone should read, up to 4 GiB
                c.send(ByteBuffer.allocate(4).putInt(NbdWire.FLAG_C_FIXED_NEWSTYLE).flip());
                long length = OptionHaggling.MAX_OPTION_DATA + 1 + (r.nextLong() & 0xffffffffL) % 0xfffeffffL;
                c.send(ByteBuffer.allocate(16).putLong(NbdWire.IHAVEOPT).putInt(NbdWire.OPT_GO)
                        .putInt((int) length).flip());
                assertTrue(c.closedByServer());
            }
            default -> { // malformed or unknown options: answered, and haggling goes on
                c.send(ByteBuffer.allocate(4).putInt(NbdWire.FLAG_C_FIXED_NEWSTYLE).flip());
                byte[] data = new byte[r.nextInt(48)];
                r.nextBytes(data);
                if (r.nextBoolean() && data.length >= 4) {
                    ByteBuffer.wrap(data).putInt(r.nextInt(64)); // a plausible name length
                }
                int option = switch (kind) {
                    case 3 -> NbdWire.OPT_INFO;
                    case 4 -> r.nextBoolean() ? NbdWire.OPT_SET_META_CONTEXT : NbdWire.OPT_LIST_META_CONTEXT;
                    default -> 11 + r.nextInt(1000);
                };
                c.option(option, data);
                int reply = c.finalOptionReply();
                if (option > NbdWire.OPT_SET_META_CONTEXT) {
                    assertEquals(NbdWire.REP_ERR_UNSUP, reply);
                } else {
                    assertTrue(reply == NbdWire.REP_ACK || reply == NbdWire.REP_ERR_INVALID
                            || reply == NbdWire.REP_ERR_UNKNOWN, "reply " + Integer.toHexString(reply));
                }
                c.option(NbdWire.OPT_ABORT, new byte[0]);
                assertEquals(NbdWire.REP_ACK, c.finalOptionReply());
            }
        }
    }

    private static void command(WireClient c, int kind, Random r) throws IOException {
        long beyond = SIZE + 512L * r.nextInt(1 << 20);
        long huge = r.nextBoolean() ? r.nextLong() : beyond;
        switch (kind) {
            case 6 -> { // bad request magic
                c.send(ByteBuffer.allocate(28).putInt(r.nextInt() | 1).flip()); // the real magic is odd; so what
                assertTrue(c.closedByServer());
            }
            case 7 -> expect(c, 0, 8 + r.nextInt(65528), 0, 512, NbdWire.EINVAL); // unknown command
            case 8 -> expect(c, 0, NbdWire.CMD_READ, huge, 1 + r.nextInt(1 << 20), NbdWire.EINVAL);
            case 9 -> expect(c, 0, NbdWire.CMD_READ, 0, NbdExport.MAX_PAYLOAD + 1 + r.nextInt(Integer.MAX_VALUE),
                    NbdWire.EINVAL);
            case 10 -> { // a write past the end: ENOSPC, its payload passed by
                int length = 512 * (2 + r.nextInt(16)); // from the last sector on, at least one past the end
                c.request(0, NbdWire.CMD_WRITE, 7, r.nextBoolean() ? huge : SIZE - 512, length);
                c.send(new byte[length]);
                assertEquals(NbdWire.ENOSPC, c.reply(7));
                stillFramed(c);
            }
            case 11 -> { // unaligned write anywhere, over the honest client's data too
                int length = 1 + r.nextInt(8192);
                long offset = r.nextInt(SIZE - 8192);
                if ((offset | length) % 512 == 0) {
                    length++;
                }
                byte[] junk = new byte[length];
                r.nextBytes(junk);
                c.request(0, NbdWire.CMD_WRITE, 8, offset, length);
                c.send(junk);
                assertEquals(NbdWire.EINVAL, c.reply(8));
                stillFramed(c);
            }
            case 12 -> { // unknown flags on a write
                c.request(1 << (1 + r.nextInt(15)), NbdWire.CMD_WRITE, 9, 512L * r.nextInt(SIZE / 512), 512);
                c.send(new byte[512]);
                assertEquals(NbdWire.EINVAL, c.reply(9));
                stillFramed(c);
            }
            case 13 -> { // a write of more than 32 MiB, up to 4 GiB: dropped, the payload never read
                long length = NbdExport.MAX_PAYLOAD + 1 + (r.nextLong() & 0xffffffffL) % (0xffffffffL - (32 << 20));
                c.request(0, NbdWire.CMD_WRITE, 10, 0, length);
                try {
                    c.send(new byte[4096]);
                } catch (IOException closedAlready) {
                    // the server may have hung up before this reaches it
                }
                assertTrue(c.closedByServer());
            }
            case 14 -> { // gone in the middle of a write's payload
                c.request(0, NbdWire.CMD_WRITE, 11, 512L * r.nextInt(SIZE / 512 - 8), 4096);
                c.send(new byte[r.nextInt(4096)]);
            }
            case 15 -> expect(c, 0, NbdWire.CMD_TRIM, huge, 512, NbdWire.EINVAL);
            case 16 -> expect(c, 0, NbdWire.CMD_WRITE_ZEROES, beyond, 512 * (1 + r.nextInt(1 << 20)), NbdWire.ENOSPC);
            case 17 -> expect(c, 0, NbdWire.CMD_BLOCK_STATUS, 0, 512, NbdWire.EINVAL); // no context selected
            case 18 -> expect(c, NbdWire.CMD_FLAG_FAST_ZERO | NbdWire.CMD_FLAG_NO_HOLE, NbdWire.CMD_WRITE_ZEROES,
                    512L * r.nextInt(SIZE / 512), 512, NbdWire.ENOTSUP);
            default -> { // garbage after the handshake
                byte[] junk = new byte[28 + r.nextInt(100)];
                r.nextBytes(junk);
                c.send(junk);
                assertTrue(c.closedByServer());
            }
        }
    }

    private static void expect(WireClient c, int flags, int type, long offset, long length, int errno)
            throws IOException {
        c.request(flags, type, 5, offset, length);
        assertEquals(errno, c.reply(5), "command " + type + " at " + offset + " of " + length);
        stillFramed(c);
    }

    /** A valid read after a refused request: the connection kept its framing. */
    private static void stillFramed(WireClient c) throws IOException {
        c.request(0, NbdWire.CMD_READ, 99, SIZE - 512, 512);
        assertEquals(0, c.reply(99));
        c.read(512);
        c.disconnect();
    }

    private static byte[] slice(byte[] b, int from, int length) {
        byte[] out = new byte[length];
        System.arraycopy(b, from, out, 0, length);
        return out;
    }
}
