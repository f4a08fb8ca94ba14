package org.ubdjvm.cow.conformance;

import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.MetadataCacheOptions;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.UmlCowFormat;
import org.ubdjvm.cow.testing.conformance.TestStack;
import org.ubdjvm.cow.testing.conformance.TestStack.LayerMaker;

/** New UML COW files over a stack's top, made the way {@code ubd create -f cow -o ...} makes them. */
final class UmlCowLayers {
    /** 512 KiB: whole 4 KiB pages, so V1 and V2 can describe it; small enough to read whole after every step. */
    static final long SIZE = 512 * 1024;

    /**
     * Two 16-byte bitmap pages held (the 128-byte bitmap has eight): nearly every request loads a page and evicts
     * another, dirty ones written back on the way, so eviction and write-back run on every step.
     */
    static final MetadataCacheOptions TINY_CACHE = new MetadataCacheOptions(16, 32);

    /** Opens through the format table with {@link #TINY_CACHE}. */
    static final TestStack.Opener TINY_CACHE_OPENER = (top, engine, readOnly) -> FormatTable.standard()
            .open(OpenSpec.of(top, engine).withReadOnly(readOnly).withMetadata(TINY_CACHE));

    private UmlCowLayers() {
    }

    static LayerMaker version(int version) {
        return (file, below) -> FormatTable.standard().create(CreateSpec.of(file, UmlCowFormat.NAME)
                .withBacking(below).withOption("version", String.valueOf(version)));
    }

    /** V3-old64: the padded V3 layout 64-bit builds wrote before Dec 2005. */
    static LayerMaker v3Old64() {
        return (file, below) -> FormatTable.standard().create(CreateSpec.of(file, UmlCowFormat.NAME)
                .withBacking(below).withOption("version", "3").withOption("old64", "on"));
    }
}
