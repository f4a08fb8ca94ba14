package org.ubdjvm.driver;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code ubd<unit><flags>=file[,backing[,serial]]}: the kernel's syntax ({@code ubd_setup_common}: unit as
 * digits or a letter, flags {@code r s d c t}, {@code ,} or {@code :} between names) plus the seed's upper-case
 * letters. A letter followed by digits is a number ({@code C102H15S16}); {@code S} without digits is sync.
 */
public final class UbdOptionParser {
    public static final int MAX_DEVICES = 16;
    private static final int MAX_NUMBER_DIGITS = 9;
    /** A day: longer is no timeout at all, and a typo of one. */
    private static final int MAX_TIMEOUT_SECONDS = 86_400;
    /** A name with a URI scheme: {@code :} is part of it, not a separator. */
    private static final Pattern URI_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://");
    /** 64 GiB: more metadata than that in memory is a typo. */
    private static final int MAX_CACHE_KIB = 64 << 20;

    private final String arg;
    private int pos;

    private UbdOptionParser(String arg) {
        this.arg = arg;
    }

    public static DeviceSpec parse(String argument) throws UbdOptionException {
        return new UbdOptionParser(argument).parse();
    }

    private DeviceSpec parse() throws UbdOptionException {
        if (!arg.startsWith("ubd")) {
            throw error(0, "expected ubd<n>[flags]=file[,backing]");
        }
        pos = 3;
        int unit = unit();
        FlagsBuilder f = new FlagsBuilder();
        while (pos < arg.length() && arg.charAt(pos) != '=') {
            flag(f);
        }
        if (pos >= arg.length()) {
            throw error(pos, "Missing '='");
        }
        pos++;
        String[] names = names(arg.substring(pos));
        if (names.length > 3) {
            throw error(pos, "too many names: file[,backing[,serial]]");
        }
        if (names[0].isEmpty()) {
            throw error(pos, "missing file name after '='");
        }
        Path backing = names.length > 1 && !names[1].isEmpty() ? Path.of(names[1]) : null;
        String serial = names.length > 2 && !names[2].isEmpty() ? names[2] : null;
        DeviceFlags flags = f.build();
        if (backing != null && flags.data()) {
            throw error(-1, "Can't specify both 'd' and a cow file");
        }
        if (backing != null && flags.createVersion() == 0) {
            throw error(-1, "V0 (raw, no COW) and a backing file exclude each other");
        }
        if (flags.aio() == AioMode.ON && flags.mmap().dataPages() > 0) {
            throw error(-1, "A1 and M" + flags.mmap().bitmapPages() + "." + flags.mmap().dataPages()
                    + " both choose how data moves (AIO, or copies from mapped data): give one of them");
        }
        if (flags.readOnly() && flags.updateInPlace()) {
            throw error(-1, "U (update in place) writes the backing file; it cannot be combined with r");
        }
        return new DeviceSpec(unit, Path.of(names[0]), backing, serial, flags);
    }

    /**
     * {@code file[,backing[,serial]]} split at {@code ,} or {@code :}, the kernel's separators; a name in URI form
     * ({@code scheme://...}, e.g. an NBD backing) runs to the next {@code ,}, as {@code :} is part of it.
     */
    static String[] names(String text) {
        List<String> names = new ArrayList<>();
        int at = 0;
        while (true) {
            Matcher uri = URI_NAME.matcher(text).region(at, text.length());
            int end = uri.lookingAt() ? indexOrEnd(text, ",", at) : firstSeparator(text, at);
            names.add(text.substring(at, end));
            if (end == text.length()) {
                return names.toArray(String[]::new);
            }
            at = end + 1;
        }
    }

    private static int indexOrEnd(String text, String separator, int from) {
        int i = text.indexOf(separator, from);
        return i < 0 ? text.length() : i;
    }

    private static int firstSeparator(String text, int from) {
        return Math.min(indexOrEnd(text, ",", from), indexOrEnd(text, ":", from));
    }

    /** The kernel's parse_unit: a decimal number, or one letter a..z. */
    private int unit() throws UbdOptionException {
        int start = pos;
        int n;
        if (pos < arg.length() && Character.isDigit(arg.charAt(pos))) {
            n = number(start);
        } else if (pos < arg.length() && arg.charAt(pos) >= 'a' && arg.charAt(pos) <= 'z') {
            n = arg.charAt(pos++) - 'a';
        } else {
            throw error(start, "Couldn't parse device number");
        }
        if (n >= MAX_DEVICES) {
            throw error(start, "Device number out of range (0.." + (MAX_DEVICES - 1) + ")");
        }
        return n;
    }

    private void flag(FlagsBuilder f) throws UbdOptionException {
        int at = pos;
        char c = arg.charAt(pos++);
        boolean digits = pos < arg.length() && Character.isDigit(arg.charAt(pos));
        if (!f.seen.add(flagKey(c, digits))) {
            throw error(at, "flag '" + c + "' given twice");
        }
        switch (c) {
            case 'r', 'R' -> f.readOnly = true;
            case 's' -> f.sync = true;
            case 'd', 'D' -> f.data = true;
            case 'c' -> f.shared = true;
            case 't' -> f.noTrim = true;
            case 'P' -> f.pad = true;
            case 'L' -> f.keepSymlinks = true;
            case 'U' -> f.updateInPlace = true;
            case 'S' -> {
                if (digits) {
                    f.sectors = bounded(at, "S (sectors per track)", number(at), 1, Geometry.MAX_SECTORS);
                } else {
                    f.sync = true;
                }
            }
            case 'C' -> f.cylinders = bounded(at, "C (cylinders)", requiredNumber(at, c), 1, Geometry.MAX_CYLINDERS);
            case 'H' -> f.heads = bounded(at, "H (heads)", requiredNumber(at, c), 1, Geometry.MAX_HEADS);
            case 'A' -> f.aio = !digits ? AioMode.ON : switch (number(at)) {
                case 0 -> AioMode.OFF;
                case 1 -> AioMode.ON;
                default -> throw error(at, "A takes 0 (AIO off) or 1 (on)");
            };
            case 'V' -> f.version = version(at, requiredNumber(at, c));
            case 'B' -> f.sectorSize = sectorSize(at, requiredNumber(at, c));
            case 'M' -> f.mmap = mmap(at);
            case 'T' -> f.timeout = bounded(at, "T (request timeout in seconds)", requiredNumber(at, c), 1,
                    MAX_TIMEOUT_SECONDS);
            case 'K' -> f.cacheKiB = bounded(at, "K (metadata cache in KiB)", requiredNumber(at, c), 1,
                    MAX_CACHE_KIB);
            case 'O' -> f.direct = true;
            default -> throw error(at, "Expected '=' or flag letter (r, s, c, t or d; or R, S, D, A, C, H, S<n>, P, M, V, L, U, B, T, K, O)");
        }
    }

    /** Letters that mean the same thing share a key, so {@code rR} counts as given twice. */
    private static String flagKey(char c, boolean digits) {
        return switch (c) {
            case 'R' -> "r";
            case 'D' -> "d";
            case 'S' -> digits ? "S<n>" : "s"; // S with digits is a geometry's sectors; alone it is sync
            default -> String.valueOf(c);
        };
    }

    private MmapUnits mmap(int at) throws UbdOptionException {
        int bitmap = bounded(at, "M's bitmap unit (pages)", requiredNumber(at, 'M'), 1, MmapUnits.MAX_BITMAP_PAGES);
        if (Integer.bitCount(bitmap) != 1) {
            throw error(at, "M's bitmap unit must be a power of two pages (1, 2, 4, ...), not " + bitmap);
        }
        int data = 0;
        if (pos < arg.length() && arg.charAt(pos) == '.') {
            pos++;
            data = requiredNumber(at, 'M');
        }
        return new MmapUnits(bitmap, data);
    }

    /** V0 raw, V1-V3 UML COW versions, V4 the seed's ISAM (a V3 header with cow_format 1): the layer format decides. */
    private int version(int at, int v) throws UbdOptionException {
        return bounded(at, "V (header version)", v, 0, 4);
    }

    private int sectorSize(int at, int size) throws UbdOptionException {
        if (size < 512 || size > 65536 || Integer.bitCount(size) != 1) {
            throw error(at, "B (sector size) must be a power of two from 512 to 65536, not " + size);
        }
        return size;
    }

    private int requiredNumber(int at, char letter) throws UbdOptionException {
        if (pos >= arg.length() || !Character.isDigit(arg.charAt(pos))) {
            throw error(at, "flag '" + letter + "' needs a number, e.g. " + letter + "16");
        }
        return number(at);
    }

    private int number(int at) throws UbdOptionException {
        int start = pos;
        while (pos < arg.length() && Character.isDigit(arg.charAt(pos))) {
            pos++;
        }
        if (pos - start > MAX_NUMBER_DIGITS) {
            throw error(at, "number too large");
        }
        return Integer.parseInt(arg.substring(start, pos));
    }

    private int bounded(int at, String what, int n, int min, int max) throws UbdOptionException {
        if (n < min || n > max) {
            throw error(at, what + " must be from " + min + " to " + max + ", not " + n);
        }
        return n;
    }

    private UbdOptionException error(int at, String reason) {
        return new UbdOptionException(arg, at, reason);
    }

    /** Mutable only while one argument is parsed. */
    private final class FlagsBuilder {
        final Set<String> seen = new HashSet<>();
        boolean readOnly;
        boolean sync;
        boolean data;
        boolean shared;
        boolean noTrim;
        boolean pad;
        boolean keepSymlinks;
        boolean updateInPlace;
        AioMode aio = AioMode.AUTO;
        int cylinders;
        int heads;
        int sectors;
        int version = -1;
        int sectorSize;
        int timeout;
        int cacheKiB;
        boolean direct;
        MmapUnits mmap = MmapUnits.DEFAULT;

        DeviceFlags build() throws UbdOptionException {
            Geometry geometry = null;
            int given = (cylinders > 0 ? 1 : 0) + (heads > 0 ? 1 : 0) + (sectors > 0 ? 1 : 0);
            if (given == 3) {
                geometry = new Geometry(cylinders, heads, sectors);
            } else if (given > 0) {
                throw error(-1, "a geometry needs all of C, H and S<n> (e.g. C102H15S16)");
            }
            return new DeviceFlags(readOnly, sync, data, shared, noTrim, aio, geometry, pad, mmap, version,
                    keepSymlinks, updateInPlace, sectorSize, timeout, cacheKiB, direct);
        }
    }
}
