package org.ubdjvm.cow;

/**
 * How a layer holds its metadata (a COW bitmap, an index) in memory: {@link MetadataPages} of {@code pageSize}
 * bytes, at most {@code cacheBytes} of them per layer. The driver's {@code M<b>} letter sets the page size in host
 * pages.
 */
public record MetadataCacheOptions(int pageSize, long cacheBytes) {
    public static final MetadataCacheOptions DEFAULT =
            new MetadataCacheOptions(MetadataPages.DEFAULT_PAGE_SIZE, MetadataPages.DEFAULT_CACHE_BYTES);

    public MetadataCacheOptions {
        if (pageSize <= 0 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("metadata page size " + pageSize + " is not a power of two");
        }
        if (cacheBytes <= 0) {
            throw new IllegalArgumentException("metadata cache size " + cacheBytes + " is not positive");
        }
    }

    public MetadataCacheOptions withPageSize(int p) {
        return new MetadataCacheOptions(p, cacheBytes);
    }

    public MetadataCacheOptions withCacheBytes(long c) {
        return new MetadataCacheOptions(pageSize, c);
    }
}
