package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Files;
import org.ubdjvm.hostio.HostFile;

/**
 * A layer {@link ImageOpener#makeAbove} made over an open stack ahead of a live snapshot's barrier: its file is in
 * place and durable, its header records {@code backingMtime}.
 *
 * @param create       how it was made (its final file, its backing)
 * @param local        whether the backing is a host file with an mtime (not a protocol location)
 * @param backingMtime the backing's mtime in seconds the header records
 */
public record PremadeLayer(CreateSpec create, boolean local, long backingMtime) {
    /** Sets the backing's mtime to the recorded one, which its writes since have moved; not synced. */
    void restoreBackingMtime() throws IOException {
        if (local) {
            HostFile.setMtimeSeconds(create.backing(), backingMtime);
        }
    }

    /** Removes the file: the snapshot failed and the device keeps its old top. */
    public void discard(Exception failure) {
        try {
            Files.deleteIfExists(create.file());
        } catch (IOException suppressed) {
            failure.addSuppressed(suppressed);
        }
    }
}
