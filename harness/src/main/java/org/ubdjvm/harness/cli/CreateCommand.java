package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ubdjvm.cow.CreateOption;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.cow.RawFormat;
import org.ubdjvm.harness.Warnings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ubd create}: qemu-img create; a cow image gets the header uml_mkcow writes, byte for byte. Options after
 * {@code -o} are the format's own, passed through unread: the format declares them and the table checks them.
 */
@Command(name = "create", description = {"Create a new image; an existing FILE is never overwritten.",
        "  ubd create -f raw disk.img 64M",
        "  ubd create -f cow -b disk.img disk.cow        (V3, as uml_mkcow)",
        "  ubd create -f cow -o version=2 -b disk.img old.cow",
        "  ubd create -f cow -b nbd+unix:///?socket=/run/base.sock top.cow   (over an NBD export)",
        "  ubd create -f cow -o help                      (the options of a format)"})
final class CreateCommand implements Callable<Integer> {
    private static final String HELP = "help";

    @Spec
    CommandSpec spec;

    @Option(names = "-f", paramLabel = "FMT", defaultValue = RawFormat.NAME,
            description = "image format (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "-o", paramLabel = "KEY=VALUE", split = ",",
            description = "format options; -o help lists those of the format given with -f")
    List<String> options = List.of();

    @Option(names = "-b", paramLabel = "BACKING", description = "the image below a layered format (a file, or an"
            + " NBD URI such as nbd+unix:///?socket=PATH); it gives the size")
    Path backing;

    @Parameters(index = "0", paramLabel = "FILE", arity = "0..1")
    Path file;

    @Parameters(index = "1", paramLabel = "SIZE", arity = "0..1", converter = SizeConverter.class,
            description = "size of an image without a backing, k/M/G/T = powers of 1024; rounded up to 512")
    Long size;

    @Override
    public Integer call() throws IOException {
        FormatTable table = FormatTable.standard();
        if (options.contains(HELP)) {
            printOptions(table.byName(format).createOptions(), spec.commandLine().getOut());
            return UbdMain.OK;
        }
        if (file == null) {
            throw new ParameterException(spec.commandLine(), "missing FILE");
        }
        if (backing == null && size == null) {
            throw new ParameterException(spec.commandLine(), "missing SIZE (or -b BACKING for a layered format)");
        }
        if (backing != null && size != null) {
            throw new ParameterException(spec.commandLine(), "SIZE is taken from the backing file; leave it out");
        }
        create(table, CreateSpec.of(file, format).withSize(size == null ? 0 : size).withBacking(backing)
                .withOptions(keyValues(options, spec.commandLine())).withWarnings(Warnings.to(spec.commandLine().getErr())));
        return UbdMain.OK;
    }

    /** The one way ubd makes images (the demo builds its stack with it too). */
    static void create(FormatTable table, CreateSpec create) throws IOException {
        if (Files.exists(create.file(), LinkOption.NOFOLLOW_LINKS)) {
            throw new ImageException(create.file(), "already exists; ubd create never overwrites a file");
        }
        table.create(create);
    }

    /** {@code -o a=1,b=2} as a map in the order given; a key without a value is a usage error. */
    static Map<String, String> keyValues(List<String> options, CommandLine cli) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String option : options) {
            int eq = option.indexOf('=');
            if (eq <= 0) {
                throw new ParameterException(cli, "-o " + option + ": expected KEY=VALUE");
            }
            out.put(option.substring(0, eq).strip(), option.substring(eq + 1));
        }
        return out;
    }

    /** qemu-img's {@code -o help}: one option a line with its type, default and meaning. */
    private void printOptions(List<CreateOption> declared, PrintWriter out) {
        out.println("Supported options of format " + format + ":" + (declared.isEmpty() ? " none" : ""));
        for (CreateOption o : declared) {
            out.printf("  %-16s %-8s %s (default: %s)%n", o.name() + "=", "<" + o.type().label() + ">", o.help(),
                    o.defaultValue());
        }
    }
}
