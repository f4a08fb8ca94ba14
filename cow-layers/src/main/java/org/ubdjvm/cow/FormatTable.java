package org.ubdjvm.cow;

import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.OpenMode;

/**
 * The one table of format plug-ins. Entry 0 is raw: it claims nothing when probing and is used when no other entry
 * claims the file, or always when asked for by name (the kernel's {@code d} flag). Probe order is table order.
 */
public final class FormatTable {
    /** Deeper chains are almost surely a loop of backing files. */
    static final int MAX_CHAIN_DEPTH = 64;

    private final List<ImageFormat> formats;

    public FormatTable(List<ImageFormat> formats) {
        if (formats.isEmpty() || !(formats.get(0) instanceof RawFormat)) {
            throw new IllegalArgumentException("entry 0 of the format table must be raw");
        }
        this.formats = List.copyOf(formats);
    }

    /** raw, then UML COW (V1, V2, V3 and the old 64-bit V3 behind one entry, told apart by its version field). */
    public static FormatTable standard() {
        return new FormatTable(List.of(new RawFormat(), new UmlCowFormat()));
    }

    public List<ImageFormat> formats() {
        return formats;
    }

    public ImageFormat byName(String name) throws UnknownFormatException {
        for (ImageFormat f : formats) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new UnknownFormatException("unknown format '" + name + "' (known: "
                + formats.stream().map(ImageFormat::name).collect(Collectors.joining(", ")) + ")");
    }

    /** Opens {@code spec.file()} and, through the formats, every layer below it. */
    public BlockImage open(OpenSpec spec) throws IOException {
        if (spec.depth() > MAX_CHAIN_DEPTH) {
            throw new ImageException(spec.file(), "backing chain deeper than " + MAX_CHAIN_DEPTH + " layers (a loop?)");
        }
        ImageFormat format = spec.format() != null ? byName(spec.format()) : probe(spec);
        return format.open(spec, this);
    }

    public void create(CreateSpec spec) throws IOException {
        byName(spec.format()).create(spec, this);
    }

    /** The format that claims the file, or raw. */
    public ImageFormat probe(OpenSpec spec) throws IOException {
        ProbeBytes head;
        try (HostFile f = HostFile.open(spec.file(), OpenMode.READ_ONLY)) {
            head = ProbeBytes.read(f);
        }
        for (int i = 1; i < formats.size(); i++) {
            if (formats.get(i).probe(head)) {
                return formats.get(i);
            }
        }
        return formats.get(0);
    }
}
