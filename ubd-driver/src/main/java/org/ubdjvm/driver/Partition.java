package org.ubdjvm.driver;

/**
 * One partition of a device's disk, as its partition table says: the guest's {@code ubd0p2} (the kernel's
 * {@code ubda2}).
 *
 * @param number the kernel's number: MBR primaries 1-4, logicals from 5; GPT entries from 1
 * @param start  first byte on the disk
 * @param length bytes
 * @param type   MBR type in hex ({@code 83}, {@code 5} for an extended container), or the GPT type GUID
 * @param name   the GPT partition name, or empty
 */
public record Partition(int number, long start, long length, String type, String name) {
    public long end() {
        return start + length;
    }
}
