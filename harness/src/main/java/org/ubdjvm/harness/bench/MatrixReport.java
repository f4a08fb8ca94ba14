package org.ubdjvm.harness.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.ubdjvm.harness.ByteSize;

/**
 * What {@code ubd bench --matrix} measured: one line per cell with ubd's and fio's medians over the repeats and the
 * median ratio ubd/fio (IOPS above 1, p99 and CPU per request below 1 mean ubd is better); the JSON also nests each
 * cell's whole {@link BenchReport}.
 */
public record MatrixReport(BenchSpec base, BenchMatrix.Axes axes, int repeats, List<BenchMatrix.Cell> cells) {
    /** fio is the one peer of every cell. */
    private static final int FIO = 0;

    static double ubdIops(BenchMatrix.Cell c) {
        return c.report().median(-1, BenchResult::iops);
    }

    static double fioIops(BenchMatrix.Cell c) {
        return c.report().median(FIO, BenchResult::iops);
    }

    static double iopsRatio(BenchMatrix.Cell c) {
        return c.report().medianIopsRatio(FIO);
    }

    static double p99Ratio(BenchMatrix.Cell c) {
        return c.report().medianP99Ratio(FIO);
    }

    static double ubdCpu(BenchMatrix.Cell c) {
        return c.report().median(-1, BenchResult::cpuMicrosPerOp);
    }

    static double fioCpu(BenchMatrix.Cell c) {
        return c.report().median(FIO, BenchResult::cpuMicrosPerOp);
    }

    static List<Double> ubdCurve(BenchMatrix.Cell c) {
        return c.report().medianCurve(-1);
    }

    static List<Double> fioCurve(BenchMatrix.Cell c) {
        return c.report().medianCurve(FIO);
    }

    /** One line saying what ran, for the table and the charts' subtitles. */
    String describe() {
        return String.format("%s, bs %s, %s file, %s s per run after %s s ramp, median of %d", base.target()
                        == BenchTarget.stack ? "full stack (ring, driver, COW V3)" : "host-io engine",
                ByteSize.human(base.blockSize()), ByteSize.human(base.size()), BenchReport.seconds(base.runtime().toMillis()),
                BenchReport.seconds(base.ramp().toMillis()), repeats);
    }

    public void human(PrintWriter out) {
        out.printf("bench matrix: %s, ubd vs fio on %s%n", describe(), base.file());
        out.printf("%-10s %-9s %4s %10s %10s %7s %9s %9s %7s %9s %9s %7s%n", "pattern", "engine", "qd", "ubd iops",
                "fio iops", "iops x", "ubd p99", "fio p99", "p99 x", "ubd cpu", "fio cpu", "cpu x");
        for (BenchMatrix.Cell c : cells) {
            double ubdP99 = c.report().median(-1, BenchResult::p99Micros);
            double fioP99 = c.report().median(FIO, BenchResult::p99Micros);
            out.printf("%-10s %-9s %4d %10.0f %10.0f %7s %9s %9s %7s %9s %9s %7s%n", c.rw(), c.engine(), c.iodepth(),
                    ubdIops(c), fioIops(c), fixed(iopsRatio(c)), fixed1(ubdP99), fixed1(fioP99), fixed(p99Ratio(c)),
                    fixed(ubdCpu(c)), fixed(fioCpu(c)), fixed(ubdCpu(c) / fioCpu(c)));
        }
        out.println("p99 in us, cpu in us per request (the whole process); x = median ubd/fio: iops above 1, p99 and"
                + " cpu below 1 favour ubd");
    }

    public String json(List<Path> plots) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("target", base.target().name()).put("filename", base.file().toString())
                .put("block-size", base.blockSize()).put("size", base.size())
                .put("runtime-seconds", base.runtime().toMillis() / 1000.0)
                .put("ramp-seconds", base.ramp().toMillis() / 1000.0).put("repeats", repeats);
        var cellList = root.putArray("cells");
        for (BenchMatrix.Cell c : cells) {
            ObjectNode n = cellList.addObject().put("rw", c.rw().name()).put("engine", c.engine())
                    .put("iodepth", c.iodepth());
            ObjectNode m = n.putObject("median-ratios");
            BenchReport.number(m, "iops", iopsRatio(c));
            BenchReport.number(m, "p99", p99Ratio(c));
            BenchReport.number(m, "cpu", ubdCpu(c) / fioCpu(c));
            n.set("report", c.report().node(mapper));
        }
        var p = root.putArray("plots");
        plots.forEach(x -> p.add(x.toString()));
        return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    private static String fixed(double x) {
        return Double.isNaN(x) || Double.isInfinite(x) ? "-" : String.format("%.2f", x);
    }

    private static String fixed1(double x) {
        return Double.isNaN(x) ? "-" : String.format("%.1f", x);
    }
}
