package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.BlockIo;
import org.ubdjvm.cow.ImageException;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.cow.RawFormat;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.OpenMode;
import org.ubdjvm.hostio.SyncEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ubd convert}: qemu-img convert to raw, i.e. uml_moo without touching the backing file. The output holds
 * the whole virtual disk (the size rounded up to a sector; uml_moo drops a final partial sector) and stays sparse
 * where the disk is zero.
 */
@Command(name = "convert", description = {"Write the whole virtual disk of IN as a raw image OUT.",
        "An existing OUT is replaced only once the new one is complete.",
        "  ubd convert -O raw disk.cow disk.img",
        "  ubd convert -b ./disk.img -O raw disk.cow merged.img"})
final class ConvertCommand implements Callable<Integer> {
    /** Read size; zero detection works on finer blocks so the output stays as sparse as the disk. */
    private static final int CHUNK = 1 << 20;
    private static final int HOLE_BLOCK = 4096;

    @Spec
    CommandSpec spec;

    @Mixin
    ImageOptions image;

    @Option(names = "-O", paramLabel = "OUTFMT", defaultValue = RawFormat.NAME,
            description = "output format; only raw (default: ${DEFAULT-VALUE})")
    String outputFormat;

    @Parameters(index = "0", paramLabel = "IN")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (!outputFormat.equals(RawFormat.NAME)) {
            throw new ParameterException(spec.commandLine(), "output format '" + outputFormat
                    + "' is not supported (only raw)");
        }
        try (IoEngine engine = new SyncEngine();
             BlockImage disk = image.open(in, true, engine, spec.commandLine().getErr())) {
            refuseInputAsOutput(disk.info());
            writeRaw(disk);
        }
        return UbdMain.OK;
    }

    /** Truncating OUT would destroy the disk being read if OUT is any layer of it. */
    private void refuseInputAsOutput(ImageInfo chain) throws ImageException {
        for (ImageInfo layer = chain; layer != null; layer = layer.backing()) {
            if (sameFile(out, layer.filename())) {
                throw new ImageException(out, "is " + layer.filename() + ", a layer of the image being converted");
            }
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false; // a layer we cannot stat is not OUT: nothing to protect
        }
    }

    /**
     * Writes the disk to a new file beside OUT and renames it over OUT only when complete, so OUT is never
     * half-written: after a failure it is as it was (or absent), and only the file we made is deleted.
     */
    private void writeRaw(BlockImage disk) throws IOException {
        Path target = Files.exists(out) ? out.toRealPath() : out.toAbsolutePath(); // write through a symlink
        boolean replacing = Files.exists(target);
        if (replacing && !Files.isRegularFile(target)) {
            throw new ImageException(out, "not a regular file; convert writes regular files only");
        }
        Path part = target.resolveSibling("." + target.getFileName() + ".ubd-convert-" + ProcessHandle.current().pid());
        HostFile f = HostFile.open(part, OpenMode.CREATE_NEW);
        try {
            ByteBuffer buf = ByteBuffer.allocate(CHUNK);
            long capacity = disk.capacity();
            for (long at = 0; at < capacity; at += buf.limit()) {
                buf.clear().limit((int) Math.min(CHUNK, capacity - at));
                BlockIo.read(disk, at, buf);
                writeNonZeroBlocks(f, buf, at);
            }
            f.extendSparse(capacity); // the length, where the disk ends in zeros that were never written
            f.datasync();
            f.close();
            if (replacing) {
                Files.setPosixFilePermissions(part, Files.getPosixFilePermissions(target));
            }
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                f.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            Files.deleteIfExists(part);
            throw e;
        }
    }

    /** Writes each run of blocks that holds a non-zero byte; all-zero blocks stay holes. */
    private static void writeNonZeroBlocks(HostFile f, ByteBuffer buf, long at) throws IOException {
        int runStart = -1;
        for (int b = 0; b < buf.limit(); b += HOLE_BLOCK) {
            boolean data = !isZero(buf, b, Math.min(b + HOLE_BLOCK, buf.limit()));
            if (data && runStart < 0) {
                runStart = b;
            } else if (!data && runStart >= 0) {
                f.write(buf.duplicate().limit(b).position(runStart), at + runStart);
                runStart = -1;
            }
        }
        if (runStart >= 0) {
            f.write(buf.duplicate().position(runStart), at + runStart);
        }
    }

    private static boolean isZero(ByteBuffer buf, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
