package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.file.Path;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.DiskFormat;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.HeaderFormat;
import org.ubdjvm.cow.RawFormat;
import org.ubdjvm.cow.testing.conformance.TestStack.LayerMaker;

/** DISK and HEADER files as {@code ubd create -f disk|header -o geometry=...} makes them. */
final class DiskLayers {
    private DiskLayers() {
    }

    /** A DISK of {@link UmlCowLayers#SIZE} zeros with a geometry and the given options ({@code key=value}). */
    static LayerMaker disk(String... options) {
        return (file, below) -> FormatTable.standard().create(with(CreateSpec.of(file, DiskFormat.NAME)
                .withSize(UmlCowLayers.SIZE).withOption("geometry", "16/4/16"), options));
    }

    /** A raw data file of {@link UmlCowLayers#SIZE} zeros beside {@code file}, and a HEADER over it. */
    static LayerMaker header(String... options) {
        return (file, below) -> {
            Path data = file.resolveSibling(file.getFileName() + ".data");
            FormatTable.standard().create(CreateSpec.of(data, RawFormat.NAME).withSize(UmlCowLayers.SIZE));
            FormatTable.standard().create(with(CreateSpec.of(file, HeaderFormat.NAME).withBacking(data)
                    .withOption("geometry", "8/8/16"), options));
        };
    }

    private static CreateSpec with(CreateSpec spec, String... options) throws IOException {
        CreateSpec s = spec;
        for (String o : options) {
            s = s.withOption(o.substring(0, o.indexOf('=')), o.substring(o.indexOf('=') + 1));
        }
        return s;
    }
}
