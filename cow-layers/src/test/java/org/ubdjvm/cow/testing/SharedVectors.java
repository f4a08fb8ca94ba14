package org.ubdjvm.cow.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.ubdjvm.hostio.testing.CiRule;

/**
 * The files in {@code ../shared/vectors}, made by the real uml_mkcow, uml_moo and linux.uml. Tests work on a copy
 * with the backing files' mtimes set to the value the headers store (copying loses it), as the vectors README asks.
 */
public final class SharedVectors {
    /** The mtime every vector header stores. */
    public static final long VECTOR_MTIME = 1_700_000_000L;

    private SharedVectors() {
    }

    public static Path sharedDir() {
        String prop = System.getProperty("ubd.shared.dir");
        Path dir = prop != null ? Path.of(prop) : Path.of("..", "..", "shared");
        if (!Files.isDirectory(dir.resolve("vectors"))) {
            String why = "the shared vectors are not at " + dir.toAbsolutePath().normalize()
                    + "/vectors (../shared must sit beside the checkout)";
            CiRule.skipOrFail(why);
        }
        return dir;
    }

    /** A fresh copy of the vectors folder in {@code into}, backing mtimes restored. */
    public static Path copyTo(Path into) throws IOException {
        Path src = sharedDir().resolve("vectors");
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path dst = into.resolve(f.getFileName().toString());
                Files.copy(f, dst);
                if (f.getFileName().toString().startsWith("back-")) {
                    Files.setLastModifiedTime(dst, FileTime.from(VECTOR_MTIME, TimeUnit.SECONDS));
                }
            }
        }
        return into;
    }

    public static String md5(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("MD5");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String md5(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
