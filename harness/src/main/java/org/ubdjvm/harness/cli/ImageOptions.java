package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.harness.Warnings;
import org.ubdjvm.hostio.IoEngine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code -f FMT -b BACKING -U}: how every command that reads an image opens it (qemu-img's -f and -U,
 * ubdN=cow,backing).
 */
final class ImageOptions {
    @Option(names = "-f", paramLabel = "FMT", description = "image format (raw, cow); probed when left out")
    String format;

    @Option(names = "-b", paramLabel = "BACKING",
            description = "backing file to use instead of the one named in the COW header (checked for size and mtime),"
                    + " or an NBD URI (size only)")
    Path backing;

    @Mixin
    ForceShareOption share;

    @Mixin
    LayerOptions layers;

    /**
     * Opens {@code file} and the chain below it, each layer locked as the kernel locks it unless {@code -U};
     * warnings (obsolete format, backing switch) go to {@code err}.
     */
    BlockImage open(Path file, boolean readOnly, IoEngine engine, PrintWriter err) throws IOException {
        return open(file, readOnly, share.forceShare, engine, err);
    }

    /** Read-only and without locks, whatever {@code -U} says: for commands that only look (info). */
    BlockImage inspect(Path file, IoEngine engine, PrintWriter err) throws IOException {
        return open(file, true, true, engine, err);
    }

    private BlockImage open(Path file, boolean readOnly, boolean forceShare, IoEngine engine, PrintWriter err)
            throws IOException {
        return FormatTable.standard().open(spec(file, engine, err).withReadOnly(readOnly).withForceShare(forceShare));
    }

    /** {@code file} as {@code format} (probed when null), read-only, for a command with several images (compare). */
    static BlockImage openReadOnly(Path file, String format, boolean forceShare, IoEngine engine, PrintWriter err)
            throws IOException {
        return FormatTable.standard().open(OpenSpec.of(file, engine).withFormat(format).withReadOnly(true)
                .withForceShare(forceShare).withWarnings(Warnings.to(err)));
    }

    /** What these options say about opening {@code file}, for a command that hands the spec on (check). */
    OpenSpec spec(Path file, IoEngine engine, PrintWriter err) {
        return layers.apply(OpenSpec.of(file, engine).withFormat(format).withBacking(backing)
                .withForceShare(share.forceShare).withWarnings(Warnings.to(err)));
    }
}
