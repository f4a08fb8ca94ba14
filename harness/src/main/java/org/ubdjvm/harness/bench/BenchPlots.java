package org.ubdjvm.harness.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.CategoryTextAnnotation;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;
import org.ubdjvm.harness.ByteSize;
import org.ubdjvm.hostio.PendingFile;

/**
 * PNG charts of bench results, drawn with JFreeChart (headless): per pattern, IOPS and CPU per request for each
 * engine and queue depth, ubd beside fio with the median ratio printed over each pair; per pattern and queue depth,
 * the latency percentile curves (p50 ... p99.99, log scale) of every engine, ubd solid and fio dashed. A single
 * bench run gets one chart: its latency curve against the peers', the ratios in the subtitle.
 */
public final class BenchPlots {
    private static final int WIDTH = 1100;
    private static final int HEIGHT = 650;
    private static final Color UBD = new Color(0x1f77b4);
    private static final Color PEER = new Color(0xb0b0b0);
    private static final Map<String, Color> ENGINE_COLOURS = Map.of("sync", new Color(0x1f77b4),
            "aio", new Color(0xff7f0e), "io_uring", new Color(0x2ca02c), "mmap", new Color(0x9467bd));
    private static final BasicStroke SOLID = new BasicStroke(2.2f);
    private static final BasicStroke DASHED = new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f,
            new float[] {7f, 5f}, 0f);

    private BenchPlots() {
    }

    /** Writes the matrix's charts into {@code dir} (made if missing); returns the files written. */
    public static List<Path> matrix(MatrixReport m, Path dir) throws IOException {
        headless();
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (var rw : m.axes().patterns()) {
            List<BenchMatrix.Cell> cells = m.cells().stream().filter(c -> c.rw() == rw).toList();
            written.add(save(bars("IOPS, ubd vs fio: " + rw, m.describe(), "requests per second (IOPS)", cells,
                    MatrixReport::ubdIops, MatrixReport::fioIops, MatrixReport::iopsRatio,
                    "the label over each pair: median ubd/fio IOPS ratio (above 1: ubd faster)"),
                    dir.resolve("iops-" + rw + ".png")));
            written.add(save(bars("CPU per request, ubd vs fio: " + rw, m.describe(),
                    "CPU time per request (us, whole process)", cells, MatrixReport::ubdCpu, MatrixReport::fioCpu,
                    c -> MatrixReport.ubdCpu(c) / MatrixReport.fioCpu(c),
                    "the label over each pair: ubd/fio CPU per request (below 1: ubd cheaper)"),
                    dir.resolve("cpu-" + rw + ".png")));
            for (int qd : m.axes().iodepths()) {
                List<BenchMatrix.Cell> atDepth = cells.stream().filter(c -> c.iodepth() == qd).toList();
                written.add(save(latency(rw + ", QD " + qd, m.describe(), atDepth),
                        dir.resolve("latency-" + rw + "-qd" + qd + ".png")));
            }
        }
        return written;
    }

    /** One chart for one {@code ubd bench} run: ubd's latency curve and its peers', the ratios in the subtitle. */
    public static void single(BenchReport r, Path file) throws IOException {
        headless();
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        addCurve(data, "ubd (" + r.engine() + ")", r.medianCurve(-1));
        StringBuilder ratios = new StringBuilder();
        for (int p = 0; p < r.peers().size(); p++) {
            addCurve(data, r.peers().get(p), r.medianCurve(p));
            ratios.append(ratios.length() == 0 ? "" : ";  ").append(String.format(Locale.ROOT,
                    "IOPS ubd %.0f vs %s %.0f: ubd/%s %s", r.median(-1, BenchResult::iops), r.peers().get(p),
                    r.median(p, BenchResult::iops), r.peers().get(p), times(r.medianIopsRatio(p))));
            if (!Double.isNaN(r.medianP99Ratio(p))) {
                ratios.append(", p99 ").append(times(r.medianP99Ratio(p)));
            }
        }
        if (ratios.length() == 0) {
            ratios.append(String.format(Locale.ROOT, "IOPS %.0f (no peer: --compare=fio adds one)",
                    r.median(-1, BenchResult::iops)));
        }
        JFreeChart chart = curveChart(String.format(Locale.ROOT, "ubd bench latency percentiles: %s, %s, QD %d",
                r.spec().rw(), r.engine(), r.spec().iodepth()), data);
        chart.addSubtitle(new TextTitle(ratios.toString()));
        chart.addSubtitle(new TextTitle(String.format(Locale.ROOT, "%s, bs %s, median of %d run(s)",
                r.spec().target() == BenchTarget.stack ? "full stack (ring, driver, COW V3)" : "host-io engine",
                ByteSize.human(r.spec().blockSize()), r.repeats().size()), new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        LineAndShapeRenderer lines = (LineAndShapeRenderer) chart.getCategoryPlot().getRenderer();
        lines.setSeriesPaint(0, UBD);
        lines.setSeriesStroke(0, SOLID);
        for (int p = 0; p < r.peers().size(); p++) {
            lines.setSeriesPaint(p + 1, p == 0 ? new Color(0xd62728) : new Color(0x7f7f7f));
            lines.setSeriesStroke(p + 1, DASHED);
        }
        save(chart, file);
    }

    /** Grouped bars per engine and queue depth, ubd beside fio, the ratio printed over each pair. */
    private static JFreeChart bars(String title, String subtitle, String valueLabel, List<BenchMatrix.Cell> cells,
            ToDoubleFunction<BenchMatrix.Cell> ubd, ToDoubleFunction<BenchMatrix.Cell> fio,
            ToDoubleFunction<BenchMatrix.Cell> ratio, String legendNote) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (BenchMatrix.Cell c : cells) {
            data.addValue(finite(ubd.applyAsDouble(c)), "ubd", category(c));
            data.addValue(finite(fio.applyAsDouble(c)), "fio", category(c));
        }
        JFreeChart chart = ChartFactory.createBarChart(title, "engine, queue depth", valueLabel, data);
        chart.addSubtitle(new TextTitle(subtitle + "; " + legendNote, new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        CategoryPlot plot = chart.getCategoryPlot();
        style(chart);
        BarRenderer r = (BarRenderer) plot.getRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setSeriesPaint(0, UBD);
        r.setSeriesPaint(1, PEER);
        r.setItemMargin(0.05);
        if (cells.size() > 6) {
            plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        }
        double top = 0;
        for (BenchMatrix.Cell c : cells) {
            top = Math.max(top, Math.max(finite(ubd.applyAsDouble(c)), finite(fio.applyAsDouble(c))));
        }
        for (BenchMatrix.Cell c : cells) {
            double high = Math.max(finite(ubd.applyAsDouble(c)), finite(fio.applyAsDouble(c)));
            CategoryTextAnnotation label = new CategoryTextAnnotation(times(ratio.applyAsDouble(c)), category(c),
                    high + top * 0.02);
            label.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            label.setTextAnchor(TextAnchor.BOTTOM_CENTER);
            plot.addAnnotation(label);
        }
        ((NumberAxis) plot.getRangeAxis()).setUpperMargin(0.12); // room for the labels over the tallest bars
        return chart;
    }

    /** Latency percentile curves of every engine at one pattern and queue depth: ubd solid, fio dashed. */
    private static JFreeChart latency(String what, String subtitle, List<BenchMatrix.Cell> cells) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        List<Paint> paints = new ArrayList<>();
        List<BasicStroke> strokes = new ArrayList<>();
        for (BenchMatrix.Cell c : cells) {
            Color colour = ENGINE_COLOURS.getOrDefault(c.engine(), Color.DARK_GRAY);
            addCurve(data, c.engine() + " ubd (p99 " + times(MatrixReport.p99Ratio(c)) + " fio's)",
                    MatrixReport.ubdCurve(c));
            paints.add(colour);
            strokes.add(SOLID);
            addCurve(data, c.engine() + " fio", MatrixReport.fioCurve(c));
            paints.add(colour);
            strokes.add(DASHED);
        }
        JFreeChart chart = curveChart("Latency percentiles, ubd (solid) vs fio (dashed): " + what, data);
        chart.addSubtitle(new TextTitle(subtitle + "; legend: p99 ubd/fio (below 1: ubd faster)",
                new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        LineAndShapeRenderer r = (LineAndShapeRenderer) chart.getCategoryPlot().getRenderer();
        for (int i = 0; i < paints.size(); i++) {
            r.setSeriesPaint(i, paints.get(i));
            r.setSeriesStroke(i, strokes.get(i));
        }
        return chart;
    }

    private static JFreeChart curveChart(String title, DefaultCategoryDataset data) {
        JFreeChart chart = ChartFactory.createLineChart(title, "percentile", "completion latency (us, log scale)", data);
        style(chart);
        CategoryPlot plot = chart.getCategoryPlot();
        LogAxis log = new LogAxis("completion latency (us, log scale)");
        // a tick per power of ten, written as a plain number (1, 10, 100), not 10^2.4
        log.setAutoTickUnitSelection(false);
        log.setTickUnit(new NumberTickUnit(1.0));
        log.setNumberFormatOverride(new DecimalFormat("#,##0.#", DecimalFormatSymbols.getInstance(Locale.ROOT)));
        log.setMinorTickCount(9);
        log.setMinorTickMarksVisible(true);
        log.setSmallestValue(0.1);
        plot.setRangeAxis(log);
        LineAndShapeRenderer r = (LineAndShapeRenderer) plot.getRenderer();
        r.setDefaultShapesVisible(true);
        return chart;
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(new Color(0xf4f4f4));
        plot.setRangeGridlinePaint(new Color(0xc8c8c8));
        chart.getLegend().setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    }

    /** A curve's points (a percentile the tool did not report, or a zero, cannot sit on a log axis: left out). */
    private static void addCurve(DefaultCategoryDataset data, String series, List<Double> micros) {
        for (int i = 0; i < micros.size(); i++) {
            double v = micros.get(i);
            data.addValue(Double.isNaN(v) || v <= 0 ? null : v, series, BenchReport.percentileName(BenchResult.CURVE.get(i)));
        }
    }

    private static String category(BenchMatrix.Cell c) {
        return c.engine() + " QD" + c.iodepth();
    }

    private static double finite(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? 0 : v;
    }

    private static String times(double ratio) {
        return Double.isNaN(ratio) || Double.isInfinite(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio);
    }

    /** AWT draws into images without a display only when told so before it starts. */
    private static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    /** Written beside its name and renamed into place when complete, as every file ubd makes. */
    private static Path save(JFreeChart chart, Path file) throws IOException {
        try (PendingFile pending = PendingFile.beside(file, "plot")) {
            ChartUtils.saveChartAsPNG(pending.path().toFile(), chart, WIDTH, HEIGHT);
            pending.commit(true);
        }
        return file;
    }
}
