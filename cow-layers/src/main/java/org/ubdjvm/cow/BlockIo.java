package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.ubdjvm.hostio.IoCompletion;

/** Blocking calls on a {@link BlockImage}, for callers with nothing else to do meanwhile (CLI, tests, close). */
public final class BlockIo {
    private BlockIo() {
    }

    public static void read(BlockImage image, long offset, ByteBuffer dst) throws IOException {
        await(done -> image.read(offset, dst, done));
    }

    public static void write(BlockImage image, long offset, ByteBuffer src) throws IOException {
        await(done -> image.write(offset, src, done));
    }

    public static void discard(BlockImage image, long offset, long length) throws IOException {
        await(done -> image.discard(offset, length, done));
    }

    public static void flush(BlockImage image) throws IOException {
        await(image::flush);
    }

    /** Starts an operation and waits for its completion, rethrowing its error. */
    static void await(java.util.function.Consumer<IoCompletion> start) throws IOException {
        CompletableFuture<Void> f = new CompletableFuture<>();
        start.accept((n, e) -> {
            if (e != null) {
                f.completeExceptionally(e);
            } else {
                f.complete(null);
            }
        });
        try {
            f.get();
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
