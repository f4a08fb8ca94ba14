package org.ubdjvm.driver;

/**
 * Cylinders/heads/sectors, given as {@code C102H15S16} so partitions of a dd'ed real disk are found. Without it the
 * driver reports the real UML driver's fake geometry: 128 heads, 32 sectors, cylinders = size / (128 * 32 * 512).
 */
public record Geometry(int cylinders, int heads, int sectors) {
    static final int MAX_CYLINDERS = 65535;
    static final int MAX_HEADS = 255;
    static final int MAX_SECTORS = 63;

    public static Geometry umlDefault(long capacityBytes) {
        return new Geometry((int) Math.min(Integer.MAX_VALUE, capacityBytes / (128L * 32 * 512)), 128, 32);
    }

    public long capacitySectors() {
        return (long) cylinders * heads * sectors;
    }
}
