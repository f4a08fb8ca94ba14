package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.ubdjvm.hostio.Errno;
import org.ubdjvm.hostio.IoCompletion;

/**
 * Blocking calls on a {@link BlockImage}, for callers with nothing else to do meanwhile (CLI, tests, close). No wait
 * is without a bound: a completion that has not come within the {@link WaitLimit} (30 s by default) fails the call
 * with ETIMEDOUT and what the engine holds; the request's buffer then still belongs to the engine.
 */
public final class BlockIo {
    private BlockIo() {
    }

    public static void read(BlockImage image, long offset, ByteBuffer dst) throws IOException {
        read(image, offset, dst, WaitLimit.DEFAULT);
    }

    public static void read(BlockImage image, long offset, ByteBuffer dst, WaitLimit limit) throws IOException {
        await("read of " + dst.remaining() + " bytes at offset " + offset, limit, done -> image.read(offset, dst, done));
    }

    public static void write(BlockImage image, long offset, ByteBuffer src) throws IOException {
        write(image, offset, src, WaitLimit.DEFAULT);
    }

    public static void write(BlockImage image, long offset, ByteBuffer src, WaitLimit limit) throws IOException {
        await("write of " + src.remaining() + " bytes at offset " + offset, limit,
                done -> image.write(offset, src, done));
    }

    public static void discard(BlockImage image, long offset, long length) throws IOException {
        discard(image, offset, length, WaitLimit.DEFAULT);
    }

    public static void discard(BlockImage image, long offset, long length, WaitLimit limit) throws IOException {
        await("discard of " + length + " bytes at offset " + offset, limit, done -> image.discard(offset, length, done));
    }

    public static void flush(BlockImage image) throws IOException {
        flush(image, WaitLimit.DEFAULT);
    }

    public static void flush(BlockImage image, WaitLimit limit) throws IOException {
        await("flush", limit, image::flush);
    }

    /** Starts an operation and waits for its completion, at most {@code limit}, rethrowing its error. */
    static void await(String what, WaitLimit limit, Consumer<IoCompletion> start) throws IOException {
        CompletableFuture<Void> f = new CompletableFuture<>();
        start.accept((n, e) -> {
            if (e != null) {
                f.completeExceptionally(e);
            } else {
                f.complete(null);
            }
        });
        try {
            f.get(limit.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            String inFlight = limit.inFlight().get();
            long ms = limit.timeout().toMillis();
            throw new IOException(what + " did not complete in " + (ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms") + ": "
                    + Errno.describe(Errno.ETIMEDOUT) + (inFlight.isEmpty() ? "" : "; in flight: " + inFlight));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            // Only I/O errors are the user's business; anything else is a bug and must surface as one.
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }
}
