package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.harness.Warnings;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ubd info}: qemu-img info --backing-chain; the image is opened read-only, so nothing is ever written, and
 * without locks (always {@code -U}), so it works on an image a running guest or UML holds.
 */
@Command(name = "info", description = {"Show an image and every layer below it (read-only, no lock: works on an"
        + " image in use).",
        "  ubd info disk.cow",
        "  ubd info --output=json -b ./disk.img disk.cow"})
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ImageOptions image;

    @Mixin
    OutputOption output;

    @Parameters(paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        ImageInfo info;
        DiskReport disk;
        try (IoEngine engine = new SyncEngine();
             BlockImage opened = image.inspect(file, engine, spec.commandLine().getErr())) {
            info = opened.info();
            disk = DiskReport.of(opened, file, Warnings.to(spec.commandLine().getErr()));
        }
        out.print(output.json() ? disk.addTo(InfoReport.json(info)) : InfoReport.human(info) + disk.human());
        return UbdMain.OK;
    }
}
