package org.ubdjvm.hostio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ubdjvm.hostio.testing.CiRule;

/**
 * Whether a test directory's filesystem takes O_DIRECT (tmpfs before Linux 6.6 does not; ext4, xfs and overlay on
 * them do). Where it does not, a direct test is skipped locally with the reason, and fails under CI=true
 * ({@link CiRule}).
 */
final class DirectSupport {
    /** Every suite request is a multiple of this, so it is aligned for any filesystem whose block is at most a page. */
    static final int PAGE = 4096;

    private DirectSupport() {
    }

    /** Returns normally if {@code dir} serves aligned O_DIRECT I/O of {@link #PAGE}; otherwise skips or fails. */
    static void require(Path dir) {
        String why = refusal(dir);
        if (why != null) {
            CiRule.skipOrFail(why);
        }
    }

    /** Null when {@code dir} takes O_DIRECT; else why not. Opening is not enough: FUSE may accept the flag, then EINVAL. */
    static String refusal(Path dir) {
        Path probe = dir.resolve(".o_direct-probe");
        try (HostFile f = HostFile.open(probe, OpenMode.CREATE_NEW.withDirect(true))) {
            int a = f.directAlignment();
            if (PAGE % a != 0) {
                return dir + ": O_DIRECT needs " + a + "-byte alignment, more than the suite's " + PAGE + "-byte requests";
            }
            ByteBuffer page = ByteBuffer.allocateDirect(2 * PAGE).alignedSlice(PAGE).slice(0, PAGE);
            f.write(page, 0);
            f.read(page.clear(), 0);
            return null;
        } catch (HostIoException e) {
            return dir + " (" + fsType(dir) + ") refuses O_DIRECT, so the direct conformance tests cannot run here: "
                    + e.getMessage() + "; point java.io.tmpdir at ext4 or xfs";
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // the @TempDir is deleted after the test anyway
            }
        }
    }

    private static String fsType(Path dir) {
        try {
            return Files.getFileStore(dir).type();
        } catch (IOException e) {
            return "unknown filesystem";
        }
    }
}
