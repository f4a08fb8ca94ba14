package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.cow.RawFormat;
import org.ubdjvm.cow.UmlCowFormat;
import org.ubdjvm.harness.ByteSize;
import org.ubdjvm.harness.Warnings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ubd create}: qemu-img create; a cow image gets the header uml_mkcow writes, byte for byte. */
@Command(name = "create", description = {"Create a new image; an existing FILE is never overwritten.",
        "  ubd create -f raw disk.img 64M",
        "  ubd create -f cow -b disk.img disk.cow        (V3, as uml_mkcow)",
        "  ubd create -f cow -o version=2 -b disk.img old.cow"})
final class CreateCommand implements Callable<Integer> {
    private static final String VERSION = "version";

    @Spec
    CommandSpec spec;

    @Option(names = "-f", paramLabel = "FMT", defaultValue = RawFormat.NAME,
            description = "raw or cow (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "-o", paramLabel = "KEY=VALUE", split = ",",
            description = "format options; cow: version=1|2|3 (default 3; 1 and 2 are obsolete)")
    Map<String, String> options = Map.of();

    @Option(names = "-b", paramLabel = "BACKING", description = "backing file of a cow image; it gives the size")
    Path backing;

    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Parameters(index = "1", paramLabel = "SIZE", arity = "0..1", converter = ByteSize.Converter.class,
            description = "size of a raw image, k/M/G/T = powers of 1024; rounded up to 512 bytes")
    Long size;

    @Override
    public Integer call() throws IOException {
        if (backing == null && size == null) {
            throw new ParameterException(spec.commandLine(), "missing SIZE (or -b BACKING for a cow image)");
        }
        if (backing != null && size != null) {
            throw new ParameterException(spec.commandLine(), "SIZE is taken from the backing file; leave it out");
        }
        create(file, format, size == null ? 0 : size, backing, version(), Warnings.to(spec.commandLine().getErr()));
        return UbdMain.OK;
    }

    /** The one way ubd makes images (the demo builds its stack with it too). */
    static void create(Path file, String format, long size, Path backing, int version, Consumer<String> warnings)
            throws IOException {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new ImageException(file, "already exists; ubd create never overwrites a file");
        }
        FormatTable.standard().create(new CreateSpec(file, format, size, backing, version, warnings));
    }

    /** The value of {@code -o version=N}, 0 for the format's default. */
    private int version() {
        for (String key : options.keySet()) {
            if (!key.equals(VERSION) || !format.equals(UmlCowFormat.NAME)) {
                throw new ParameterException(spec.commandLine(), "format " + format + " has no option '" + key + "'"
                        + (format.equals(UmlCowFormat.NAME) ? " (known: version)" : ""));
            }
        }
        String v = options.get(VERSION);
        try {
            return v == null ? 0 : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), "-o version=" + v + ": not a number");
        }
    }
}
