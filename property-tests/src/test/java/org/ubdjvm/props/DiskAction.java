package org.ubdjvm.props;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import net.jqwik.api.state.Transformer;
import org.ubdjvm.props.DiskUnderTest.Access;
import org.ubdjvm.props.DiskUnderTest.Op;

/**
 * One step of a sequence. Each is a record whose {@code toString} is what jqwik prints for a failing (shrunk)
 * sequence, so it reads like a reproduction recipe: sectors, counts and seeds, not buffers.
 */
sealed interface DiskAction {
    int SECTOR = SectorData.SECTOR;
    int MAX_COW_LAYERS = 4;

    void applyTo(DiskUnderTest disk) throws IOException;

    default Transformer<DiskUnderTest> transformer() {
        return Transformer.mutate(toString(), disk -> {
            try {
                applyTo(disk);
            } catch (IOException e) {
                throw new UncheckedIOException(toString() + " failed", e);
            }
        });
    }

    /** {@code count} sectors of random bytes from {@code seed}; refused while the image is read-only. */
    record Write(At at, int count, long seed, int pad) implements DiskAction {
        @Override
        public void applyTo(DiskUnderTest disk) throws IOException {
            disk.write(at.first(disk.sectors(), count) * SECTOR, SectorData.random(seed, count * SECTOR), pad);
        }

        @Override
        public String toString() {
            return "write(" + at.describe(count) + ", seed " + seed + padding(pad) + ")";
        }
    }

    /** Discards {@code count} sectors: they read zeros after; refused while the image is read-only. */
    record Discard(At at, int count) implements DiskAction {
        @Override
        public void applyTo(DiskUnderTest disk) throws IOException {
            disk.discard(at.first(disk.sectors(), count) * SECTOR, count * SECTOR);
        }

        @Override
        public String toString() {
            return "discard(" + at.describe(count) + ")";
        }
    }

    /** Reads {@code count} sectors into a buffer whose position is {@code pad}. */
    record Read(At at, int count, int pad) implements DiskAction {
        @Override
        public void applyTo(DiskUnderTest disk) throws IOException {
            disk.read(at.first(disk.sectors(), count) * SECTOR, count * SECTOR, pad);
        }

        @Override
        public String toString() {
            return "read(" + at.describe(count) + padding(pad) + ")";
        }
    }

    /**
     * A read from {@code before} sectors below to {@code after} sectors above a sector where the serving layer
     * changes: boundary number {@code boundary} modulo how many there are when the step runs (a read of sector 0
     * while there are none). The failure message names the sectors.
     */
    record ReadAcross(int boundary, int before, int after) implements DiskAction {
        @Override
        public void applyTo(DiskUnderTest disk) throws IOException {
            List<Long> boundaries = disk.model().boundaries();
            long at = boundaries.isEmpty() ? 0 : boundaries.get(boundary % boundaries.size());
            long first = Math.max(0, at - before);
            long end = Math.min(disk.sectors(), at + after);
            disk.read(first * SECTOR, (int) (end - first) * SECTOR, 0);
        }

        @Override
        public String toString() {
            return "read across layer boundary #" + boundary + " (" + before + " sectors below, " + after + " above)";
        }
    }

    /** The steps without arguments. */
    enum Plain implements DiskAction {
        FLUSH("flush"),
        /** Copy the top file while the image is open, as a crash would leave it. */
        CRASH_COPY("copy top file while open (crash)");

        private final String text;

        Plain(String text) {
            this.text = text;
        }

        @Override
        public void applyTo(DiskUnderTest disk) throws IOException {
            if (this == FLUSH) {
                disk.flush();
            } else {
                disk.crashCopy();
            }
        }

        @Override
        public String toString() {
            return text;
        }
    }

    record Reopen(Access access) implements DiskAction {
        @Override
        public void applyTo(DiskUnderTest disk) throws IOException {
            disk.reopen(access);
        }

        @Override
        public String toString() {
            return "close+reopen" + access.suffix();
        }
    }

    /** Puts a COW layer over the top; does nothing once there are {@value #MAX_COW_LAYERS} COW layers. */
    record AddLayer(LayerKind kind) implements DiskAction {
        @Override
        public void applyTo(DiskUnderTest disk) throws IOException {
            if (disk.model().cowLayers() < MAX_COW_LAYERS) {
                disk.addLayer(kind);
            }
        }

        @Override
        public String toString() {
            return "add " + kind + " layer";
        }
    }

    /**
     * A request that breaks the BlockImage contract: {@code count} sectors at {@code at}, the offset moved by
     * {@code offsetSkew} bytes and the length by {@code lengthSkew}; {@code why} says what is wrong with it.
     */
    record BadRequest(Op op, At at, int count, int offsetSkew, int lengthSkew, String why) implements DiskAction {
        @Override
        public void applyTo(DiskUnderTest disk) throws IOException {
            long offset = at.first(disk.sectors(), count) * SECTOR + offsetSkew;
            disk.expectRejected(op, offset, count * SECTOR + lengthSkew, why);
        }

        @Override
        public String toString() {
            return "bad " + op + "(" + at.describe(count) + (offsetSkew == 0 ? "" : ", offset +" + offsetSkew)
                    + (lengthSkew == 0 ? "" : ", length +" + lengthSkew) + ": " + why + ")";
        }
    }

    /** A request of zero bytes. */
    record EmptyRequest(Op op, At at) implements DiskAction {
        @Override
        public void applyTo(DiskUnderTest disk) throws IOException {
            disk.empty(op, at.first(disk.sectors(), 0) * SECTOR);
        }

        @Override
        public String toString() {
            return "empty " + op + "(" + (at.fromEnd() ? at.describe(0) : "sector " + at.sector()) + ")";
        }
    }

    private static String padding(int pad) {
        return pad == 0 ? "" : ", buffer offset " + pad;
    }
}
