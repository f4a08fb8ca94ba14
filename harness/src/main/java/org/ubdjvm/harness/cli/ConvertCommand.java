package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageCopy;
import org.ubdjvm.cow.RawFormat;
import org.ubdjvm.harness.Warnings;
import org.ubdjvm.hostio.IoEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ubd convert}: qemu-img convert, i.e. uml_moo without touching the backing file. The output holds the whole
 * virtual disk (the size rounded up to a sector; uml_moo drops a final partial sector) and stays sparse where the
 * disk is zero; the copy itself is cow-layers' {@link ImageCopy}.
 */
@Command(name = "convert", description = {"Write the whole virtual disk of IN as a new image OUT.",
        "An existing OUT is replaced only once the new one is complete.",
        "  ubd convert -O raw disk.cow disk.img",
        "  ubd convert -b ./disk.img -O raw disk.cow merged.img",
        "  ubd convert -O cow -o version=2 -B base.img disk.img delta.cow   # only what differs from base.img"})
final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ImageOptions image;

    @Option(names = "-O", paramLabel = "OUTFMT", defaultValue = RawFormat.NAME,
            description = "output format, one made from a size alone (default: ${DEFAULT-VALUE})")
    String outputFormat;

    @Option(names = "-o", paramLabel = "KEY=VALUE", split = ",",
            description = "options of the output format (see ubd create -f OUTFMT -o help)")
    List<String> options = List.of();

    @Option(names = "-B", paramLabel = "BACKING",
            description = "make OUT a layer over BACKING that holds only what differs from it")
    Path outputBacking;

    @Mixin
    ProgressOption progress;

    @Mixin
    EngineOption engineOption;

    @Option(names = "--partition", paramLabel = "M",
            description = "convert only partition M of IN's partition table (MBR or GPT), as dd of its sectors would")
    Integer partition;

    @Parameters(index = "0", paramLabel = "IN")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT")
    Path out;

    @Override
    public Integer call() throws IOException {
        FormatTable table = FormatTable.standard();
        table.byName(outputFormat); // an unknown name fails before anything is opened
        PrintWriter err = spec.commandLine().getErr();
        CreateSpec target = CreateSpec.of(out, outputFormat).withBacking(outputBacking)
                .withOptions(CreateCommand.keyValues(options, spec.commandLine())).withWarnings(Warnings.to(err));
        try (IoEngine engine = engineOption.open(err); // as ubd bench --target=convert measures it
             BlockImage disk = image.open(in, true, engine, err);
             BlockImage source = partition == null ? disk : DiskReport.partition(disk, in, partition);
             Progress bar = progress.start("convert", source.capacity(), false)) {
            ImageCopy.convert(source, target, table, engine, ProgressOption.listener(bar));
        }
        return UbdMain.OK;
    }
}
