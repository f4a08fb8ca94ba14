package org.ubdjvm.harness.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.harness.AccessPattern;

/**
 * {@code ubd bench --matrix}: every engine x pattern x queue depth, each cell one {@link Benchmark} of ubd against
 * fio on the same file, alternately, {@code repeats} times, so each cell's ratio is measured in the same minute.
 */
public final class BenchMatrix {
    /** The axes; each cell is one of each. */
    public record Axes(List<String> engines, List<AccessPattern> patterns, List<Integer> iodepths) {
        public Axes {
            engines = List.copyOf(engines);
            patterns = List.copyOf(patterns);
            iodepths = List.copyOf(iodepths);
            if (engines.isEmpty() || patterns.isEmpty() || iodepths.isEmpty()) {
                throw new IllegalArgumentException("--engines, --patterns and --iodepths each need at least one value");
            }
        }

        int cells() {
            return engines.size() * patterns.size() * iodepths.size();
        }
    }

    /** Told after each cell, for a progress bar. */
    public interface Listener {
        void cellDone(int done, int total, Cell cell);
    }

    /** One cell's workload and what was measured. */
    public record Cell(AccessPattern rw, String engine, int iodepth, BenchReport report) {
    }

    private final BenchSpec base;
    private final Axes axes;
    private final boolean direct;
    private final boolean ringSpin;
    private final long spinNanos;
    private final PrintWriter err;

    /**
     * @param base everything but the pattern and queue depth, which each cell sets (target, block size, size,
     *             runtime, ramp, file)
     * @param direct O_DIRECT for ubd and fio alike (engine target only)
     */
    public BenchMatrix(BenchSpec base, Axes axes, boolean direct, boolean ringSpin, long spinNanos, PrintWriter err) {
        this.base = base;
        this.axes = axes;
        this.direct = direct;
        this.ringSpin = ringSpin;
        this.spinNanos = spinNanos;
        this.err = err;
    }

    /** Finds fio first: the matrix is nothing without its peer (the message names the Debian package). */
    public static void requireFio() throws IOException {
        PeerProgram.find("fio", "fio");
    }

    public MatrixReport run(int repeats, Listener listener) throws IOException {
        List<Cell> cells = new ArrayList<>();
        for (AccessPattern rw : axes.patterns()) {
            for (String engine : axes.engines()) {
                for (int qd : axes.iodepths()) {
                    BenchSpec spec = new BenchSpec(base.target(), rw, base.blockSize(), qd, base.size(), base.runtime(),
                            base.ramp(), base.file());
                    Benchmark b = new Benchmark(spec, direct, ringSpin, spinNanos, err);
                    b.compareWith(FioPeer.NAME);
                    Cell cell = new Cell(rw, engine, qd, b.run(engine, repeats));
                    cells.add(cell);
                    if (listener != null) {
                        listener.cellDone(cells.size(), axes.cells(), cell);
                    }
                }
            }
        }
        return new MatrixReport(base, axes, repeats, cells);
    }
}
