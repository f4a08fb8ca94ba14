package org.ubdjvm.harness.cli;

import org.ubdjvm.cow.MetadataCacheOptions;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.driver.DeviceEnvironment;
import picocli.CommandLine.Option;

/** {@code --direct} and {@code --metadata-cache}: how every layer of an image holds its files and its metadata. */
final class LayerOptions {
    @Option(names = "--direct",
            description = "open every image file O_DIRECT, bypassing the host's page cache (requests must be aligned"
                    + " to the file system's block size; the driver's O letter does it for one device)")
    boolean direct;

    @Option(names = "--metadata-cache", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "memory for each layer's COW bitmap, read in pages on demand (default 16M; the driver's"
                    + " K<KiB> letter sets it for one device)")
    Long metadataCache;

    private long cacheBytes() {
        return metadataCache != null ? metadataCache : MetadataCacheOptions.DEFAULT.cacheBytes();
    }

    OpenSpec apply(OpenSpec spec) {
        return spec.withDirect(direct).withMetadata(spec.metadata().withCacheBytes(cacheBytes()));
    }

    DeviceEnvironment apply(DeviceEnvironment env) {
        return env.withDirect(direct).withMetadataCacheBytes(cacheBytes());
    }
}
