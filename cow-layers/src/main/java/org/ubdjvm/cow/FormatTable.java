package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.ubdjvm.cow.nbd.NbdFormat;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.HostIoException;
import org.ubdjvm.hostio.OpenMode;
import org.ubdjvm.hostio.PendingFile;

/**
 * The one table of format plug-ins and the entry point for every format operation: generic code calls
 * {@link #open}, {@link #create} and {@link #check} here, never a format directly. Entry 0 is raw: it claims nothing
 * when probing and is used when no other entry claims the file, or always when asked for by name (the kernel's
 * {@code d} flag). Probe order is table order.
 */
public final class FormatTable {
    /** Deeper chains are almost surely a loop of backing files. */
    static final int MAX_CHAIN_DEPTH = 64;

    private final List<ImageFormat> formats;
    private final ImageFormat layerFormat;
    /** A layer already open that a backing chain reaches: handed out, not opened again (a live snapshot's old top). */
    private final OpenLayer openLayer;

    /** An open image and the file it was opened from. */
    private record OpenLayer(Path file, BlockImage image) {
    }

    /** A table whose {@link #layerFormat()} is entry 1 (raw alone, if there is none). */
    public FormatTable(List<ImageFormat> formats) {
        this(formats, formats.size() > 1 ? formats.get(1).name() : RawFormat.NAME);
    }

    /**
     * @param formats     entry 0 must be raw
     * @param layerFormat the name of the format a new layer over a backing gets when the caller names none
     */
    public FormatTable(List<ImageFormat> formats, String layerFormat) {
        if (formats.isEmpty() || !(formats.get(0) instanceof RawFormat)) {
            throw new IllegalArgumentException("entry 0 of the format table must be raw");
        }
        this.formats = List.copyOf(formats);
        this.layerFormat = formats.stream().filter(f -> f.name().equals(layerFormat)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("layer format " + layerFormat + " is not in the table"));
        this.openLayer = null;
    }

    private FormatTable(FormatTable table, OpenLayer openLayer) {
        this.formats = table.formats;
        this.layerFormat = table.layerFormat;
        this.openLayer = openLayer;
    }

    /**
     * This table, except that a backing chain reaching {@code file} (the same file, by inode) below its top gets
     * {@code image} itself rather than a second open of it, which one process may not do while either open writes
     * (qemu's node reference): a live snapshot's new top over the stack in use, a commit's chain over the base it
     * holds read-write. The chain closes {@code image} with itself; lend a {@link SharedLayer} to keep it.
     */
    public FormatTable withOpenLayer(Path file, BlockImage image) {
        return new FormatTable(this, new OpenLayer(file, image));
    }

    /**
     * raw, then ISAM (a UML COW V3 header with cow_format 1: before UML COW, which claims the same magic), then UML COW
     * (V1, V2, V3 and V3-old64 behind one entry, told apart by its version field), then the
     * seed's DISK and HEADER (magics of their own); new layers are UML COW. NBD is a protocol layer, found by its URI
     * (nbd://, nbd+unix://), never by probing.
     */
    public static FormatTable standard() {
        return new FormatTable(List.of(new RawFormat(),
                new IsamFormat(), // before cow: an ISAM header is a UML COW V3 header with cow_format 1
                new UmlCowFormat(), new DiskFormat(), new HeaderFormat(), new NbdFormat()), UmlCowFormat.NAME);
    }

    public List<ImageFormat> formats() {
        return formats;
    }

    /**
     * The format a new layer over a backing gets when none is named: the driver's create-on-open
     * ({@code ubdN=cow,backing} with no {@code cow} yet) and a live snapshot's new top.
     */
    public ImageFormat layerFormat() {
        return layerFormat;
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

    /**
     * Opens {@code spec.file()} and, through the formats, every layer below it. Every layer handed out checks each
     * request (alignment, range, read-only) before its format sees it. A writable image probed as raw (entry 0) gets
     * a warning and the {@link ProbedRawGuard}: no write may make it probe as another entry.
     */
    public BlockImage open(OpenSpec spec) throws IOException {
        if (spec.engine() == null) {
            throw new IllegalArgumentException(spec.file() + ": no engine to open it with (ImageOpener supplies one)");
        }
        if (spec.depth() > MAX_CHAIN_DEPTH) {
            throw new ImageException(spec.file(), "backing chain deeper than " + MAX_CHAIN_DEPTH + " layers (a loop?)");
        }
        if (openLayer != null && spec.depth() > 0 && BackingPath.sameFile(spec.file(), openLayer.file())) {
            return openLayer.image();
        }
        ImageFormat format = spec.format() != null ? byName(spec.format()) : probe(spec);
        BlockImage image = format.open(spec, this);
        if (spec.format() != null || format != formats.get(0) || image.readOnly()) {
            return new CheckedImage(spec.file(), image);
        }
        try {
            ProbedRawGuard guard = ProbedRawGuard.open(spec.file(), image, formats.subList(1, formats.size()));
            spec.warnings().accept(ProbedRawGuard.warning(spec.file()));
            return new CheckedImage(spec.file(), image, guard);
        } catch (IOException | RuntimeException e) {
            try {
                image.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Creates an image: the options must all be declared by the format ({@link ImageFormat#createOptions()}) with
     * values of their types, else one {@link ImageException} naming the file and the option, and nothing is written.
     * The format makes the file under a temporary name beside it, which takes the final name only once complete and
     * durable (never replacing a file that appeared meanwhile): a failure or a signal leaves no file behind.
     */
    public void create(CreateSpec spec) throws IOException {
        ImageFormat format = withCheckedOptions(spec);
        try (PendingFile pending = PendingFile.beside(spec.file(), "create")) {
            createAt(format, spec, pending.path());
            pending.commit(false);
        }
    }

    /** {@link #create} at {@code at} rather than {@code spec.file()}, unstaged: for a caller that stages it itself. */
    void createAt(CreateSpec spec, Path at) throws IOException {
        createAt(withCheckedOptions(spec), spec, at);
    }

    private void createAt(ImageFormat format, CreateSpec spec, Path at) throws IOException {
        try {
            format.create(spec.withFile(at), this);
        } catch (IOException e) {
            throw naming(e, at, spec.file());
        }
    }

    /** An error about the file made under the name {@code made}, naming {@code file} instead: the name the user gave. */
    static IOException naming(IOException e, Path made, Path file) {
        String prefix = made + ": ";
        if (e.getMessage() == null || !e.getMessage().startsWith(prefix)) {
            return e;
        }
        String reason = e.getMessage().substring(prefix.length());
        return e instanceof HostIoException ? new HostIoException(file, reason, e) : new ImageException(file, reason, e);
    }

    private ImageFormat withCheckedOptions(CreateSpec spec) throws ImageException, UnknownFormatException {
        ImageFormat format = byName(spec.format());
        List<CreateOption> declared = format.createOptions();
        for (Map.Entry<String, String> given : spec.options().entrySet()) {
            CreateOption option = declared.stream().filter(o -> o.name().equals(given.getKey())).findFirst()
                    .orElseThrow(() -> new ImageException(spec.file(), "format " + format.name() + " has no option '"
                            + given.getKey() + "' (" + known(declared) + ")"));
            ImageException bad = option.validate(spec.file(), given.getValue());
            if (bad != null) {
                throw bad;
            }
        }
        return format;
    }

    private static String known(List<CreateOption> declared) {
        return declared.isEmpty() ? "it takes none"
                : "known: " + declared.stream().map(CreateOption::name).collect(Collectors.joining(", "));
    }

    /** The entry that claims {@code location} by its name (a protocol layer such as an NBD URI), or null: a host file. */
    public ImageFormat protocolFor(String location) {
        for (ImageFormat f : formats) {
            if (f.claimLocation(location) != null) {
                return f;
            }
        }
        return null;
    }

    /** How an upper layer's header stores {@code location} when a protocol layer claims it; null for a host file. */
    public String protocolLocation(String location) {
        ImageFormat protocol = protocolFor(location);
        return protocol == null ? null : protocol.claimLocation(location);
    }

    /**
     * A layer's file as a user would type it, for reports: a protocol location as its protocol writes it (a
     * {@code Path} of an NBD URI has its {@code ///} collapsed), a host file as it is.
     */
    public String displayName(java.nio.file.Path file) {
        String location = protocolLocation(file.toString());
        return location != null ? location : file.toString();
    }

    /** Checks {@code spec.file()} as its format (named or probed); see {@link ImageFormat#check}. */
    public CheckReport check(OpenSpec spec, boolean repair) throws IOException {
        return check(spec, repair ? Repair.ALL : Repair.NONE);
    }

    /** Checks {@code spec.file()}, repairing what {@code repair} allows; see {@link ImageFormat#check}. */
    public CheckReport check(OpenSpec spec, Repair repair) throws IOException {
        ImageFormat format = spec.format() != null ? byName(spec.format()) : probe(spec);
        return format.check(spec, repair, this);
    }

    /**
     * The format that claims the file: a protocol layer claiming its name ({@link ImageFormat#claimLocation}), else
     * the first entry whose probe claims its first bytes, else raw.
     */
    public ImageFormat probe(OpenSpec spec) throws IOException {
        ImageFormat protocol = protocolFor(spec.file().toString());
        if (protocol != null) {
            return protocol;
        }
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
