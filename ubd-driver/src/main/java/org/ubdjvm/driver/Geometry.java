package org.ubdjvm.driver;

import java.io.IOException;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.DiskGeometry;

/**
 * Cylinders/heads/sectors, given as {@code C102H15S16} so partitions of a dd'ed real disk are found. Without it the
 * driver reports the real UML driver's fake geometry: 128 heads, 32 sectors, cylinders = size / (128 * 32 * 512).
 */
public record Geometry(int cylinders, int heads, int sectors, Source source) {
    /** Where a device's geometry came from. */
    public enum Source {
        /** {@code C<n>H<n>S<n>} */
        LETTERS,
        /** the image records it (a DISK or HEADER layer) */
        IMAGE,
        /** the real UML driver's fake one */
        DEFAULT
    }

    /** A CHS sector is 512 bytes whatever the disk's sector size, as the kernel's HDIO_GETGEO counts. */
    static final int CHS_SECTOR = 512;
    static final int MAX_CYLINDERS = 65535;
    static final int MAX_HEADS = 255;
    static final int MAX_SECTORS = 63;

    /** Given as letters. */
    public Geometry(int cylinders, int heads, int sectors) {
        this(cylinders, heads, sectors, Source.LETTERS);
    }

    public static Geometry umlDefault(long capacityBytes) {
        return new Geometry((int) Math.min(Integer.MAX_VALUE, capacityBytes / (128L * 32 * 512)), 128, 32,
                Source.DEFAULT);
    }

    /**
     * A device's geometry: its letters, else the uppermost layer's that records one, else the fake one. A geometry
     * addressing more sectors than the image has is refused, naming the device.
     */
    static Geometry of(DeviceSpec spec, BlockImage image) throws IOException {
        return of(spec.flags().geometry(), image, spec.name());
    }

    /** {@link #of(DeviceSpec, BlockImage)} for an image without a device ({@code ubd info}): {@code given} may be null. */
    public static Geometry of(Geometry given, BlockImage image, String name) throws IOException {
        DiskGeometry recorded = given == null ? image.info().chainGeometry() : null;
        Geometry g = given != null ? given : recorded != null
                ? new Geometry(recorded.cylinders(), recorded.heads(), recorded.sectors(), Source.IMAGE)
                : umlDefault(image.capacity());
        if (g.capacitySectors() * CHS_SECTOR > image.capacity()) {
            throw new IOException(name + ": geometry " + g + " describes " + g.capacitySectors()
                    * CHS_SECTOR + " bytes, more than the image's " + image.capacity());
        }
        return g;
    }

    /** {@code C102H15S16}, as the letters give it. */
    @Override
    public String toString() {
        return "C" + cylinders + "H" + heads + "S" + sectors;
    }

    public long capacitySectors() {
        return (long) cylinders * heads * sectors;
    }
}
