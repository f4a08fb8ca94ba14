package org.ubdjvm.cow.conformance;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ForwardingBlockImage;
import org.ubdjvm.cow.OpenSpec;
import org.ubdjvm.cow.RawFormat;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

/** Formats with one deliberate mistake each, for {@link ConformanceSuiteBitesTest}: the suite must fail them. */
final class BrokenFormats {
    private BrokenFormats() {
    }

    /**
     * Raw as its format opens it, without the request check {@link FormatTable#open} puts in front of every format:
     * what a format would be that had to check requests itself and forgot.
     */
    static BlockImage uncheckedRaw(Path top, IoEngine engine, boolean readOnly) throws IOException {
        return new RawFormat().open(OpenSpec.of(top, engine).withReadOnly(readOnly), FormatTable.standard());
    }

    /**
     * A stack whose reads take the last sector of every multi-sector request from the file below, whatever the top
     * holds: a format that splits a read into runs but serves one run from the wrong layer.
     */
    static final class LastSectorFromBelow extends ForwardingBlockImage {
        private final BlockImage below;

        LastSectorFromBelow(BlockImage top, BlockImage below) {
            super(top);
            this.below = below;
        }

        @Override
        public void read(long offset, ByteBuffer dst, IoCompletion done) {
            int length = dst.remaining();
            int ss = sectorSize();
            if (length <= ss) {
                delegate.read(offset, dst, done);
                return;
            }
            ByteBuffer head = dst.duplicate().limit(dst.position() + length - ss);
            ByteBuffer last = dst.duplicate().position(dst.position() + length - ss);
            delegate.read(offset, head, (n, e) -> {
                if (e != null) {
                    done.done(0, e);
                } else {
                    below.read(offset + length - ss, last, (m, e2) -> done.done(e2 == null ? length : 0, e2));
                }
            });
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } finally {
                below.close();
            }
        }
    }

    /** A stack that answers every allocation query "this layer holds it all", as a format that never looked. */
    static final class ClaimsEverySector extends ForwardingBlockImage {
        ClaimsEverySector(BlockImage inner) {
            super(inner);
        }

        @Override
        public Allocation allocation(long offset, long length) throws IOException {
            delegate.allocation(offset, length); // the request check still applies
            return new Allocation(offset, length, 0);
        }
    }

    /** A format whose close leaves bytes past the end of its COW data area: a leak its check reports. */
    static final class LeaksOnClose extends ForwardingBlockImage {
        private final Path file;

        LeaksOnClose(BlockImage inner, Path file) {
            super(inner);
            this.file = file;
        }

        @Override
        public void close() throws IOException {
            super.close();
            if (!readOnly()) {
                Files.write(file, new byte[512], StandardOpenOption.APPEND);
            }
        }
    }
}
