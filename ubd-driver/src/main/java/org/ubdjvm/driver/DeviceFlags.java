package org.ubdjvm.driver;

/**
 * Everything the letters between {@code ubd<n>} and {@code =} say. See README.md for the grammar.
 *
 * @param readOnly       {@code r}/{@code R}
 * @param syncWrites     {@code s}/{@code S}: every write durable before it completes (O_SYNC)
 * @param data           {@code d}/{@code D}: the file is data, never probed for a COW header
 * @param shared         {@code c}: shared with another UML; do not lock the file
 * @param noTrim         {@code t}: discard disabled (the kernel's meaning of t)
 * @param aio            {@code A}, {@code A1}, {@code A0}
 * @param geometry       {@code C<n>H<n>S<n>}, or null for the UML default
 * @param padHeader      {@code P}: read/write headers in whole 512-byte units (raw devices)
 * @param mmap           {@code M<bitmap>[.<data>]} in pages
 * @param createVersion  {@code V<n>}: header version for a COW file created on open; -1 = default (V3); 0 = raw; 4 = the
 *                       seed's ISAM (the layer format's version 4)
 * @param keepSymlinks   {@code L}: store the backing name as given instead of resolving it
 * @param updateInPlace  {@code U}: merges write into the backing file (uml_moo -d)
 * @param sectorSize     {@code B<n>}: sector size in bytes for created files; 0 = default (512)
 * @param requestTimeoutSeconds {@code T<n>}: a request not answered in n seconds fails with ETIMEDOUT (blk-mq's
 *                       timeout); 0 = the table's default (30 s, or {@code ubd run --request-timeout})
 * @param metadataCacheKiB {@code K<n>}: KiB of each layer's bitmap/index held in memory; 0 = the table's default
 *                       (16 MiB, or {@code --metadata-cache})
 * @param direct         {@code O}: every layer's file opened O_DIRECT (the host's page cache bypassed)
 */
public record DeviceFlags(boolean readOnly, boolean syncWrites, boolean data, boolean shared, boolean noTrim,
                          AioMode aio, Geometry geometry, boolean padHeader, MmapUnits mmap, int createVersion,
                          boolean keepSymlinks, boolean updateInPlace, int sectorSize, int requestTimeoutSeconds,
                          int metadataCacheKiB, boolean direct) {

    /** Without {@code K} and {@code O}: the table's metadata cache, buffered files. */
    public DeviceFlags(boolean readOnly, boolean syncWrites, boolean data, boolean shared, boolean noTrim,
                       AioMode aio, Geometry geometry, boolean padHeader, MmapUnits mmap, int createVersion,
                       boolean keepSymlinks, boolean updateInPlace, int sectorSize, int requestTimeoutSeconds) {
        this(readOnly, syncWrites, data, shared, noTrim, aio, geometry, padHeader, mmap, createVersion, keepSymlinks,
                updateInPlace, sectorSize, requestTimeoutSeconds, 0, false);
    }

    public static final DeviceFlags DEFAULT = new DeviceFlags(false, false, false, false, false, AioMode.AUTO, null,
            false, MmapUnits.DEFAULT, -1, false, false, 0, 0, 0, false);

    /** These flags with {@code r} set or cleared (a device built without a ubdN= argument: ubd serve). */
    public DeviceFlags withReadOnly(boolean ro) {
        return new DeviceFlags(ro, syncWrites, data, shared, noTrim, aio, geometry, padHeader, mmap, createVersion,
                keepSymlinks, updateInPlace, sectorSize, requestTimeoutSeconds, metadataCacheKiB, direct);
    }
}
