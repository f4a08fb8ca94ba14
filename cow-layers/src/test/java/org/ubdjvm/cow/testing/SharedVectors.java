package org.ubdjvm.cow.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The UML COW test vectors: files made by the real uml_mkcow, uml_moo, mke2fs and linux.uml. The committed set in
 * {@code ../shared/vectors} beside the checkout is used when present; otherwise, or with
 * {@code -Dubd.vectors.regenerate=true}, the set is regenerated once per JVM with the real tools into a temp folder
 * ({@link VectorMaker}). Tests work on copies with the backing files' mtimes set to the value the headers store.
 */
public final class SharedVectors {
    /** The mtime every vector header stores. */
    public static final long VECTOR_MTIME = 1_700_000_000L;

    private SharedVectors() {
    }

    /**
     * Fresh copies of the named vector files in {@code into}, backing mtimes restored. A vector the real tools could
     * not regenerate here skips the test, or fails it with CI=true, saying why.
     */
    public static Path copyTo(Path into, String... names) throws IOException {
        if (names.length == 0) {
            throw new IllegalArgumentException("name the vector files the test uses");  // so each can skip alone
        }
        VectorSet set = vectors();
        for (String name : names) {
            Path dst = into.resolve(name);
            Files.copy(set.file(name), dst);
            if (name.startsWith("back-")) {
                Files.setLastModifiedTime(dst, FileTime.from(VECTOR_MTIME, TimeUnit.SECONDS));
            }
        }
        return into;
    }

    private static VectorSet vectors() {
        Optional<Path> committed = committedDir();
        if (committed.isPresent() && !Boolean.getBoolean("ubd.vectors.regenerate")) {
            return new VectorSet(committed.get(), Map.of());
        }
        return regenerated();
    }

    /** {@code ../shared/vectors} (or {@code ubd.shared.dir}/vectors), when it is there. */
    static Optional<Path> committedDir() {
        String prop = System.getProperty("ubd.shared.dir");
        Path dir = (prop != null ? Path.of(prop) : Path.of("..", "..", "shared")).resolve("vectors");
        return Files.isDirectory(dir) ? Optional.of(dir) : Optional.empty();
    }

    /** The set the real tools make here, built on first use. */
    static VectorSet regenerated() {
        return Regenerated.SET;
    }

    /** Holder: made once per JVM (class initialisation is the lock), deleted when the JVM exits. */
    private static final class Regenerated {
        static final VectorSet SET = make();

        private static VectorSet make() {
            try {
                Path root = Files.createTempDirectory("ubd-vectors-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
                VectorSet set = VectorMaker.make(Files.createDirectory(root.resolve("vectors")),
                        Files.createDirectory(root.resolve("scratch")));
                System.out.println("test vectors regenerated with the real tools in " + set.dir()
                        + (set.unavailable().isEmpty() ? "" : "; not made: " + set.unavailable()));
                return set;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        private static void deleteTree(Path root) {
            try (Stream<Path> all = Files.walk(root)) {
                for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                System.err.println("could not remove " + root + ": " + e.getMessage());
            }
        }
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
