package org.ubdjvm.cow.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Makes the UML COW test vectors the way their make-vectors.sh did, step for step, with the same real tools
 * (uml_mkcow, uml_moo, mke2fs, linux.uml) and the script's perl helper ported to {@link ReferenceCow}. One
 * difference: the script built inside a private mount namespace (root only) so that every header names
 * /mnt/ubd-vectors/...; here the headers name the folder the set is made in. A vector whose tool is missing or fails
 * is left out, with the reason.
 */
final class VectorMaker {
    private static final int[] WRITTEN = IntStream.concat(IntStream.of(0, 5, 6, 7, 63, 64),
            IntStream.concat(IntStream.rangeClosed(100, 115), IntStream.of(511))).toArray();
    private static final Map<String, String> PACKAGES = Map.of("uml_mkcow", "uml-utilities",
            "uml_moo", "uml-utilities", "mke2fs", "e2fsprogs", "linux.uml", "user-mode-linux");

    private final Path dir;
    private final Path scratch;
    private final Function<String, Path> programs;
    private final Map<String, String> unavailable = new TreeMap<>();

    @FunctionalInterface
    private interface Step {
        void run() throws IOException, InterruptedException;
    }

    private VectorMaker(Path dir, Path scratch, Function<String, Path> programs) {
        this.dir = dir;
        this.scratch = scratch;
        this.programs = programs;
    }

    /** The whole set in {@code dir}; the kernel's sockets and memory file go to {@code scratch}. */
    static VectorSet make(Path dir, Path scratch) throws IOException, InterruptedException {
        return make(dir, scratch, RealTools::find);
    }

    /** {@link #make(Path, Path)} finding the real programs with {@code programs} (null: not installed). */
    static VectorSet make(Path dir, Path scratch, Function<String, Path> programs)
            throws IOException, InterruptedException {
        VectorMaker maker = new VectorMaker(dir.toRealPath(), scratch, programs);
        maker.makeAll();
        return new VectorSet(maker.dir, Map.copyOf(maker.unavailable));
    }

    private void makeAll() throws IOException, InterruptedException {
        backing("back-256k.img", 262_144);                   // 512 sectors
        backing("back-odd.img", 263_780);                    // 515 sectors + 100 bytes
        step(List.of("v3-mkcow-clean.cow", "v3-mkcow-written.cow", "v3-mkcow-f-over-written.cow",
                "v3-mkcow-odd.cow"), List.of(), List.of("uml_mkcow"), this::mkcowVectors);
        for (String layout : List.of("1", "2", "3b")) {
            String name = (layout.equals("3b") ? "v3-broken64" : "v" + layout) + "-handmade.cow";
            ReferenceCow.craft(layout, file(name), file("back-256k.img"));
            written(name);
        }
        ReferenceCow.craft("2", file("v2-odd-handmade.cow"), file("back-odd.img")); // V2 floor rounding
        step(List.of("broken-short-4.cow", "broken-truncated-v3.cow", "broken-bad-magic.cow", "broken-bad-version.cow",
                "broken-align-zero.cow", "broken-size-mismatch.cow", "broken-mtime-mismatch.cow",
                "broken-bitmap-short.cow", "broken-v3-empty-backing.cow"),
                List.of("v3-mkcow-clean.cow", "v3-mkcow-written.cow"), List.of(), this::brokenVectors);
        step(List.of("back-ext2-512k.img"), List.of(), List.of("mke2fs"), this::ext2);
        step(List.of("v3-mkcow-ext2.cow"), List.of("back-ext2-512k.img"), List.of("uml_mkcow"),
                () -> tool(Map.of(), "uml_mkcow", "v3-mkcow-ext2.cow", "back-ext2-512k.img"));
        step(List.of("kernel-created-clean.cow", "kernel-created-written.cow"), List.of("back-ext2-512k.img"),
                List.of("linux.uml"), this::kernelVectors);
        step(List.of("merged-v3-mkcow-written.img"), List.of("v3-mkcow-written.cow"), List.of("uml_moo"),
                () -> tool(Map.of(), "uml_moo", "v3-mkcow-written.cow", "merged-v3-mkcow-written.img"));
    }

    /** Runs {@code step} when its inputs were made and its tools are here; else records why its outputs lack. */
    private void step(List<String> outputs, List<String> inputs, List<String> tools, Step step)
            throws IOException, InterruptedException {
        String why = inputs.stream().map(unavailable::get).filter(Objects::nonNull).findFirst().orElse(null);
        for (String program : tools) {
            if (why == null && programs.apply(program) == null) {
                why = program + " not found on PATH (install the Debian package " + PACKAGES.get(program) + ")";
            }
        }
        if (why == null) {
            try {
                step.run();
            } catch (IOException e) {
                why = e.getMessage();
            }
        }
        if (why != null) {
            for (String name : outputs) {
                unavailable.put(name, why);
                Files.deleteIfExists(file(name));             // nothing half-made in the set
            }
        }
    }

    private void mkcowVectors() throws IOException, InterruptedException {
        tool(Map.of(), "uml_mkcow", "v3-mkcow-clean.cow", "back-256k.img");
        tool(Map.of(), "uml_mkcow", "v3-mkcow-written.cow", "back-256k.img");
        written("v3-mkcow-written.cow");
        // -f on an existing file: no O_TRUNC, so the old bitmap and data survive (the quirk this vector records)
        Files.copy(file("v3-mkcow-written.cow"), file("v3-mkcow-f-over-written.cow"));
        tool(Map.of(), "uml_mkcow", "-f", "v3-mkcow-f-over-written.cow", "back-256k.img");
        tool(Map.of(), "uml_mkcow", "v3-mkcow-odd.cow", "back-odd.img");
        ReferenceCow.put(file("v3-mkcow-odd.cow"), "cow", 0, 512, 515);
    }

    /** The script's byte edits of a clean and a written V3 file (offsets of the packed big-endian header). */
    private void brokenVectors() throws IOException {
        byte[] clean = Files.readAllBytes(file("v3-mkcow-clean.cow"));
        byte[] written = Files.readAllBytes(file("v3-mkcow-written.cow"));
        Files.write(file("broken-short-4.cow"), Arrays.copyOf(clean, 4));
        Files.write(file("broken-truncated-v3.cow"), Arrays.copyOf(clean, 2048));
        edited("broken-bad-magic.cow", clean, b -> b.put(0, "MOOX".getBytes(StandardCharsets.US_ASCII)));
        edited("broken-bad-version.cow", clean, b -> b.putInt(4, 4));
        edited("broken-align-zero.cow", clean, b -> b.putInt(24, 0));
        edited("broken-size-mismatch.cow", written, b -> b.putLong(12, 262_144 + 512));
        edited("broken-mtime-mismatch.cow", written, b -> b.putInt(8, 1_600_000_000));
        Files.write(file("broken-bitmap-short.cow"), Arrays.copyOf(written, 8192 + 32)); // the bitmap needs 64
        edited("broken-v3-empty-backing.cow", clean, b -> b.put(32, new byte[4096]));
    }

    /** An empty ext2 that mke2fs makes byte-identical on every run (fixed time, UUID and hash seed). */
    private void ext2() throws IOException, InterruptedException {
        tool(Map.of("E2FSPROGS_FAKE_TIME", String.valueOf(SharedVectors.VECTOR_MTIME)), "mke2fs", "-q", "-F",
                "-t", "ext2", "-b", "1024", "-N", "16", "-m", "0", "-L", "ubdvec",
                "-U", "0f0e0d0c-0b0a-0908-0706-050403020100",
                "-E", "hash_seed=00112233-4455-6677-8899-aabbccddeeff", "back-ext2-512k.img", "512");
        mtime(file("back-ext2-512k.img"));
    }

    private void kernelVectors() throws IOException, InterruptedException {
        boot("kernel-created-clean.cow", false);   // read-only mount: the kernel creates the COW file, writes nothing
        boot("kernel-created-written.cow", true);  // read-write: it also writes the superblock (sectors 2-3) into it
    }

    private void boot(String cow, boolean rw) throws IOException, InterruptedException {
        String log;
        try {
            log = UmlKernel.boot(dir, scratch, cow + ",back-ext2-512k.img", rw);
        } catch (AssertionError e) {                // its timeout
            throw new IOException(e.getMessage(), e);
        }
        if (!Files.exists(file(cow))) {
            throw new IOException("linux.uml did not create " + cow + "; its console said:\n" + log);
        }
    }

    private void backing(String name, long size) throws IOException {
        mtime(Disks.patternedRaw(file(name), size));
    }

    private void written(String name) throws IOException {
        ReferenceCow.put(file(name), "cow", WRITTEN);
        ReferenceCow.put(file(name), "ZERO", 200);
    }

    private void edited(String name, byte[] source, Consumer<ByteBuffer> edit) throws IOException {
        ByteBuffer copy = ByteBuffer.wrap(source.clone());
        edit.accept(copy);
        Files.write(file(name), copy.array());
    }

    /** Runs a real program in the set's folder, as the script ran it there; a failure says what it printed. */
    private void tool(Map<String, String> env, String program, String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = programs.apply(program).toString();
        System.arraycopy(args, 0, command, 1, args.length);
        RealTools.Run run = RealTools.run(dir, 60, env, command);
        if (run.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + run.exitCode() + ": " + run.stderr().strip());
        }
    }

    private static void mtime(Path file) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(SharedVectors.VECTOR_MTIME, TimeUnit.SECONDS));
    }

    private Path file(String name) {
        return dir.resolve(name);
    }
}
