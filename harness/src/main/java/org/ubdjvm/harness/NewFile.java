package org.ubdjvm.harness;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.HostIoException;
import org.ubdjvm.hostio.OpenMode;
import org.ubdjvm.hostio.PendingFile;

/** A file a command will make later (a journal, a trace, a plot), checked before any work starts. */
public final class NewFile {
    private NewFile() {
    }

    /**
     * Makes and removes an empty temporary beside {@code file}, as the real one will be made: a missing directory,
     * a read-only or full filesystem or a denied permission is one line naming the file, before anything runs.
     *
     * @param purpose a lower-case word: what the file is (journal, trace, plot)
     */
    public static void requireWritable(Path file, String purpose) throws IOException {
        try (PendingFile probe = PendingFile.beside(file, purpose)) {
            HostFile.open(probe.path(), OpenMode.CREATE_NEW).close();
        } catch (HostIoException e) {
            throw new IOException(file + ": cannot write the " + purpose + " here: " + e.reason(), e);
        }
    }
}
