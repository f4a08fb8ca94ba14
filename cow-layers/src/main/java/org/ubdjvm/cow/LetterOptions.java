package org.ubdjvm.cow;

/**
 * The create options behind the seed's letters, declared once for every format that has the field: {@code B}
 * (sector size), the page size of the alignment, {@code P} (padded header), {@code L} (a name kept as given).
 */
final class LetterOptions {
    static final int MIN = 512;
    static final int MAX = 65536;

    static final CreateOption SECTOR_SIZE = new CreateOption("sector-size", CreateOption.Type.NUMBER, "512",
            "sector size in bytes, a power of two from 512 to 65536 (the B letter)");
    static final CreateOption PAD = new CreateOption("pad", CreateOption.Type.BOOL, "off",
            "pad the header to a multiple of 512 bytes, for raw devices (the P letter)");
    static final CreateOption KEEP_NAME = new CreateOption("keep-name", CreateOption.Type.BOOL, "off",
            "store the lower file's name exactly as given (no symlink or directory resolution); a relative name is"
                    + " relative to this file's directory (the L letter)");

    private LetterOptions() {
    }

    /** The alignment option with a format's own default (uml_mkcow: the page size, 4096). */
    static CreateOption alignment(int defaultValue) {
        return new CreateOption("alignment", CreateOption.Type.NUMBER, String.valueOf(defaultValue),
                "alignment of the data in bytes, a power of two from 512 to 65536 (64 KiB: the page size of any host)");
    }

    /** The value {@code spec} gives a size option, refused unless a power of two from 512 to 64 KiB. */
    static int powerOfTwo(CreateSpec spec, CreateOption option) throws ImageException {
        long v = option.number(spec);
        if (v < MIN || v > MAX || Long.bitCount(v) != 1) {
            throw new ImageException(spec.file(), "option " + option.name() + "=" + v + ": not a power of two from "
                    + MIN + " to " + MAX);
        }
        return (int) v;
    }
}
