package org.ubdjvm.cow;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How to create an image. What every format may need is a field; everything else is an option the format declares
 * ({@link ImageFormat#createOptions()}) and reads with {@link CreateOption#number}, {@link CreateOption#bool} or
 * {@link CreateOption#string}.
 *
 * @param file     the new file; must not exist (as uml_mkcow without -f)
 * @param format   format name
 * @param size     virtual size in bytes for formats without a backing file, else 0 (a backing gives the size)
 * @param backing  the layer below, for formats that have one (any format; its virtual size becomes this image's
 *                 size), or null
 * @param options  option name to value as text, in the order given; names the format does not declare are refused
 * @param warnings where notices go (obsolete version), one line each
 */
public record CreateSpec(Path file, String format, long size, Path backing, Map<String, String> options,
                         Consumer<String> warnings) {

    public CreateSpec {
        options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** A spec with no size, backing or options, and warnings dropped. */
    public static CreateSpec of(Path file, String format) {
        return new CreateSpec(file, format, 0, null, Map.of(), w -> { });
    }

    public CreateSpec withFile(Path f) {
        return new CreateSpec(f, format, size, backing, options, warnings);
    }

    public CreateSpec withSize(long bytes) {
        return new CreateSpec(file, format, bytes, backing, options, warnings);
    }

    public CreateSpec withBacking(Path b) {
        return new CreateSpec(file, format, size, b, options, warnings);
    }

    /** Adds (or replaces) one option. */
    public CreateSpec withOption(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(options);
        more.put(name, value);
        return new CreateSpec(file, format, size, backing, more, warnings);
    }

    /** Adds (or replaces) every option of {@code more}, in its order. */
    public CreateSpec withOptions(Map<String, String> more) {
        Map<String, String> all = new LinkedHashMap<>(options);
        all.putAll(more);
        return new CreateSpec(file, format, size, backing, all, warnings);
    }

    public CreateSpec withWarnings(Consumer<String> w) {
        return new CreateSpec(file, format, size, backing, options, w);
    }

    /** The text given for {@code option}, or its default. */
    String option(CreateOption option) {
        return options.getOrDefault(option.name(), option.defaultValue());
    }
}
