package org.ubdjvm.cow.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.hostio.HostIoException;

/**
 * The rule every header fuzz test checks, case by case: a mutated file either opens and serves what the test asks
 * of it, or is refused with one line naming the file; anything else is a failure, and the file is never written.
 * Counts both outcomes, so a test can show it exercised each.
 */
public final class FuzzTally {
    /** Opens the case's file. */
    @FunctionalInterface
    public interface Opener {
        BlockImage open() throws IOException;
    }

    /** What an opened case must serve (reads, a flush). */
    @FunctionalInterface
    public interface Use {
        void accept(BlockImage image) throws IOException;
    }

    private int opened;
    private int refused;

    /** One case: {@code work} holds {@code mutated}; {@code what} names the case (and its seed) in failures. */
    public void attempt(Path work, byte[] mutated, String what, Opener open, Use use) throws IOException {
        try (BlockImage image = open.open()) {
            use.accept(image);
            opened++;
        } catch (ImageException | HostIoException e) {
            requireOneLine(work, what, e);
            refused++;
        } catch (Throwable t) {
            fail(what + ": unexpected " + t, t);
        }
        requireUnchanged(work, mutated, what);
    }

    /** A user error about {@code work}: one line, starting with its name. */
    public static void requireOneLine(Path work, String what, IOException e) {
        assertTrue(e.getMessage().startsWith(work + ": ") && !e.getMessage().contains("\n"),
                what + ": error must be one line naming the file: " + e.getMessage());
    }

    public static void requireUnchanged(Path work, byte[] mutated, String what) throws IOException {
        if (!Arrays.equals(mutated, Files.readAllBytes(work))) {
            fail(what + ": the file was written");
        }
    }

    public int opened() {
        return opened;
    }

    public int refused() {
        return refused;
    }
}
