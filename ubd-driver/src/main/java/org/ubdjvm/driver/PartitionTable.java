package org.ubdjvm.driver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.zip.CRC32;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;

/**
 * Reads the partition table of a disk as the kernel's partition scan does (block/partitions/msdos.c, efi.c): an MBR
 * with its primaries and the logical partitions of an extended one (the chain of EBRs), or a GPT behind a protective
 * MBR. A GPT header or entry array whose CRC32 does not match is not used: the backup at the disk's last sector is
 * tried, as the kernel does, and if that is bad too no partition is exposed (a damaged table must not hand the guest
 * wrong bounds). Partitions reaching past the end of the disk are left out. Each finding is one warning line.
 */
public final class PartitionTable {
    private static final int MBR_SIGNATURE_AT = 510;
    private static final int MBR_ENTRIES_AT = 446;
    /** Bytes 0x55 0xAA, read little-endian. */
    private static final int MBR_SIGNATURE = 0xAA55;
    private static final int GPT_PROTECTIVE = 0xEE;
    private static final Set<Integer> EXTENDED = Set.of(0x05, 0x0F, 0x85);
    /** The kernel stops following EBRs after this many logicals (DISK_MAX_PARTS); so do we, against loops. */
    private static final int MAX_LOGICALS = 252;
    private static final long GPT_SIGNATURE = 0x5452415020494645L; // "EFI PART" little-endian
    private static final int MAX_GPT_ENTRIES = 1024;

    /** What was found: {@code dos}, {@code gpt} or {@code none}, the partitions by number, and warnings. */
    public record Scan(String scheme, List<Partition> partitions, List<String> warnings) {
        public Partition partition(int number) {
            return partitions.stream().filter(p -> p.number() == number).findFirst().orElse(null);
        }
    }

    private final BlockImage disk;
    private final String name;
    private final int sector;
    private final List<String> warnings = new ArrayList<>();

    private PartitionTable(BlockImage disk, String name) {
        this.disk = disk;
        this.name = name;
        this.sector = disk.sectorSize();
    }

    /** Reads {@code disk}'s table; {@code name} (the device or file) starts each warning. */
    public static Scan read(BlockImage disk, String name) throws IOException {
        return new PartitionTable(disk, name).scan();
    }

    private Scan scan() throws IOException {
        if (disk.capacity() < 2L * sector) {
            return new Scan("none", List.of(), List.of());
        }
        ByteBuffer mbr = sectorAt(0);
        if (Short.toUnsignedInt(mbr.getShort(MBR_SIGNATURE_AT)) != MBR_SIGNATURE) {
            return new Scan("none", List.of(), List.of());
        }
        List<Partition> found = new ArrayList<>();
        boolean protective = false;
        for (int i = 0; i < 4; i++) {
            int at = MBR_ENTRIES_AT + 16 * i;
            int type = Byte.toUnsignedInt(mbr.get(at + 4));
            protective |= type == GPT_PROTECTIVE;
            long start = Integer.toUnsignedLong(mbr.getInt(at + 8));
            long count = Integer.toUnsignedLong(mbr.getInt(at + 12));
            if (type == 0 || count == 0) {
                continue;
            }
            add(found, new Partition(i + 1, start * sector, count * sector, Integer.toHexString(type), ""));
            if (EXTENDED.contains(type)) {
                logicals(found, start, count);
            }
        }
        if (protective) {
            return gpt();
        }
        return new Scan("dos", List.copyOf(found), List.copyOf(warnings));
    }

    /** The EBR chain: each EBR's first entry is a logical (relative to that EBR), its second the next EBR. */
    private void logicals(List<Partition> found, long extStart, long extCount) throws IOException {
        long ebr = extStart;
        Set<Long> seen = new HashSet<>();
        for (int n = 5; n < 5 + MAX_LOGICALS; n++) {
            if (!seen.add(ebr) || ebr < extStart || ebr >= extStart + extCount || (ebr + 1) * sector > disk.capacity()) {
                warnings.add(name + ": extended partition: EBR at sector " + ebr + " is outside it or a loop; "
                        + "logical partitions from " + n + " on ignored");
                return;
            }
            ByteBuffer b = sectorAt(ebr * sector);
            if (Short.toUnsignedInt(b.getShort(MBR_SIGNATURE_AT)) != MBR_SIGNATURE) {
                warnings.add(name + ": extended partition: no signature in the EBR at sector " + ebr);
                return;
            }
            long start = Integer.toUnsignedLong(b.getInt(MBR_ENTRIES_AT + 8));
            long count = Integer.toUnsignedLong(b.getInt(MBR_ENTRIES_AT + 12));
            int type = Byte.toUnsignedInt(b.get(MBR_ENTRIES_AT + 4));
            if (type != 0 && count != 0) {
                add(found, new Partition(n, (ebr + start) * sector, count * sector, Integer.toHexString(type), ""));
            }
            long next = Integer.toUnsignedLong(b.getInt(MBR_ENTRIES_AT + 16 + 8));
            if (Byte.toUnsignedInt(b.get(MBR_ENTRIES_AT + 16 + 4)) == 0 || next == 0) {
                return;
            }
            ebr = extStart + next;
        }
    }

    private void add(List<Partition> found, Partition p) {
        if (p.end() > disk.capacity() || p.start() < 0) {
            warnings.add(name + ": partition " + p.number() + " (sectors " + p.start() / sector + "+"
                    + p.length() / sector + ") reaches past the end of the disk (" + disk.capacity() / sector
                    + " sectors); not exposed");
            return;
        }
        found.add(p);
    }

    private Scan gpt() throws IOException {
        long last = disk.capacity() / sector - 1;
        List<Partition> primary = gptAt(1, "primary");
        if (primary != null) {
            return new Scan("gpt", primary, List.copyOf(warnings));
        }
        List<Partition> backup = gptAt(last, "backup");
        if (backup != null) {
            warnings.add(name + ": using the backup GPT at sector " + last);
            return new Scan("gpt", backup, List.copyOf(warnings));
        }
        warnings.add(name + ": no valid GPT (primary and backup damaged); no partitions exposed");
        return new Scan("gpt", List.of(), List.copyOf(warnings));
    }

    /** The GPT whose header is at {@code lba}, or null (with a warning) when its header or entries are bad. */
    private List<Partition> gptAt(long lba, String which) throws IOException {
        ByteBuffer h = sectorAt(lba * sector);
        if (h.getLong(0) != GPT_SIGNATURE) {
            warnings.add(name + ": " + which + " GPT header at sector " + lba + ": no \"EFI PART\" signature");
            return null;
        }
        int headerSize = h.getInt(12);
        if (headerSize < 92 || headerSize > sector) {
            warnings.add(name + ": " + which + " GPT header: size " + headerSize + " out of range");
            return null;
        }
        int stored = h.getInt(16);
        byte[] copy = new byte[headerSize];
        h.get(0, copy);
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 0);
        if (crc(copy) != stored) {
            warnings.add(name + ": " + which + " GPT header at sector " + lba + ": CRC32 mismatch");
            return null;
        }
        long entriesLba = h.getLong(72);
        long count = Integer.toUnsignedLong(h.getInt(80));
        long entrySize = Integer.toUnsignedLong(h.getInt(84));
        long bytes = count * entrySize;
        if (count > MAX_GPT_ENTRIES || entrySize < 128 || entrySize > 4096 || entriesLba < 1
                || entriesLba * sector + bytes > disk.capacity()) {
            warnings.add(name + ": " + which + " GPT header: entry array " + count + " x " + entrySize + " at sector "
                    + entriesLba + " does not fit the disk");
            return null;
        }
        ByteBuffer entries = read(entriesLba * sector, (int) bytes);
        byte[] array = new byte[(int) bytes];
        entries.get(0, array);
        if (crc(array) != h.getInt(88)) {
            warnings.add(name + ": " + which + " GPT entry array: CRC32 mismatch");
            return null;
        }
        List<Partition> found = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int at = (int) (i * entrySize);
            long msb = entries.order(ByteOrder.BIG_ENDIAN).getLong(at);
            long lsb = entries.getLong(at + 8);
            entries.order(ByteOrder.LITTLE_ENDIAN);
            if (msb == 0 && lsb == 0) {
                continue;
            }
            long first = entries.getLong(at + 32);
            long lastLba = entries.getLong(at + 40);
            if (first < 0 || lastLba < first) {
                warnings.add(name + ": GPT entry " + (i + 1) + ": sectors " + first + ".." + lastLba + " invalid");
                continue;
            }
            byte[] nameBytes = new byte[72];
            entries.get(at + 56, nameBytes);
            String label = new String(nameBytes, StandardCharsets.UTF_16LE);
            int nul = label.indexOf('\0');
            add(found, new Partition(i + 1, first * sector, (lastLba - first + 1) * sector,
                    guid(entries, at), nul < 0 ? label : label.substring(0, nul)));
        }
        return List.copyOf(found);
    }

    /** A GPT GUID in its mixed-endian text form, as sfdisk prints it. */
    private static String guid(ByteBuffer b, int at) {
        ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long d1 = Integer.toUnsignedLong(le.getInt(at));
        int d2 = Short.toUnsignedInt(le.getShort(at + 4));
        int d3 = Short.toUnsignedInt(le.getShort(at + 6));
        ByteBuffer be = b.duplicate().order(ByteOrder.BIG_ENDIAN);
        long rest = be.getLong(at + 8);
        return new UUID(d1 << 32 | (long) d2 << 16 | d3, rest).toString().toUpperCase(java.util.Locale.ROOT);
    }

    private static int crc(byte[] bytes) {
        CRC32 c = new CRC32();
        c.update(bytes);
        return (int) c.getValue();
    }

    private ByteBuffer sectorAt(long offset) throws IOException {
        return read(offset, sector);
    }

    private ByteBuffer read(long offset, int length) throws IOException {
        int whole = (length + sector - 1) / sector * sector;
        ByteBuffer b = ByteBuffer.allocate(whole);
        BlockIo.read(disk, offset, b);
        return b.clear().limit(length).slice().order(ByteOrder.LITTLE_ENDIAN);
    }
}
