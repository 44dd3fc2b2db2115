package dev.hardmem.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static dev.hardmem.bench.report.Svg.PLOT_HEIGHT;
import static dev.hardmem.bench.report.Svg.TOP;
import static dev.hardmem.bench.report.Svg.esc;
import static dev.hardmem.bench.report.Svg.y;

/**
 * A line chart as a standalone SVG: one line per benchmark method over a few x values (thread counts, spaced on a
 * log-2 scale so that 1, 2, 4, 8, 16 are evenly apart), an error bar per point, a log or linear value axis.
 * Baselines are grey and dashed, in {@link BarChart}'s colours. Each line is moved a few pixels sideways, so that
 * error bars at the same x stay apart. A missing point breaks its line rather than being drawn as zero.
 */
final class LineChart {
    private static final int PLOT_WIDTH = 520;
    private static final int PAD = 28;

    private final String title;
    private final String axisLabel;
    private final String xLabel;
    private final boolean log;
    private final List<Integer> xs;
    private final List<String> series = new ArrayList<>();
    private final List<Boolean> baseline = new ArrayList<>();
    private final List<double[]> values = new ArrayList<>();
    private final List<double[]> lows = new ArrayList<>();
    private final List<double[]> highs = new ArrayList<>();

    LineChart(String title, String axisLabel, String xLabel, boolean log, List<Integer> xs) {
        this.title = title;
        this.axisLabel = axisLabel;
        this.xLabel = xLabel;
        this.log = log;
        this.xs = List.copyOf(xs);
    }

    String title() {
        return title;
    }

    /** Adds one series: {@code value[i]} at {@code xs[i]}, its error bar from {@code low[i]} to {@code high[i]}. */
    void series(String name, boolean isBaseline, double[] value, double[] low, double[] high) {
        series.add(name);
        baseline.add(isBaseline);
        values.add(value);
        lows.add(low);
        highs.add(high);
    }

    String svg() {
        int n = series.size();
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (int s = 0; s < n; s++) {
            for (int i = 0; i < xs.size(); i++) {
                double v = values.get(s)[i];
                if (v > 0 && !Double.isInfinite(v)) {
                    lo = Math.min(lo, v);
                    double h = highs.get(s)[i];
                    hi = Math.max(hi, h > v && !Double.isInfinite(h) ? h : v);
                }
            }
        }
        if (hi == 0) {
            lo = 1;
            hi = 10;
        }
        Axis axis = log ? Axis.log(lo, hi) : Axis.linear(hi);
        int widest = axis.ticks().stream().mapToInt(t -> Axis.label(t).length()).max().orElse(4);
        int left = Math.max(48, 14 + widest * 7);
        int width = left + PLOT_WIDTH + 24;
        int longest = series.stream().mapToInt(String::length).max().orElse(10);
        int columnWidth = 30 + longest * 7 + 16;
        int columns = Math.max(1, Math.min(n, (width - left) / columnWidth));
        int legendRows = (n + columns - 1) / columns;
        int height = TOP + PLOT_HEIGHT + 56 + legendRows * 18 + 12;

        StringBuilder b = new StringBuilder();
        Svg.open(b, width, height, left, title, axisLabel, log);

        // Grid, value axis, x axis.
        Svg.frame(b, axis, left, PLOT_WIDTH);
        for (int i = 0; i < xs.size(); i++) {
            double x = x(left, i);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\""
                    + " stroke=\"#333\"/>%n", x, TOP + PLOT_HEIGHT, x, TOP + PLOT_HEIGHT + 5));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n", x,
                    TOP + PLOT_HEIGHT + 18, xs.get(i)));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>%n",
                left + PLOT_WIDTH / 2, TOP + PLOT_HEIGHT + 36, esc(xLabel)));

        // Lines, points, error bars.
        String[] colors = colors();
        for (int s = 0; s < n; s++) {
            String dash = baseline.get(s) ? " stroke-dasharray=\"6 4\"" : "";
            StringBuilder path = new StringBuilder();
            boolean pen = false;
            for (int i = 0; i < xs.size(); i++) {
                double v = values.get(s)[i];
                if (!(v > 0)) {
                    pen = false;
                    continue;
                }
                path.append(String.format(Locale.ROOT, "%s%.1f %.1f", pen ? "L" : "M", x(left, i) + dodge(s),
                        y(axis, v)));
                pen = true;
            }
            if (!path.isEmpty()) {
                b.append(String.format(Locale.ROOT, "<path d=\"%s\" stroke=\"%s\" stroke-width=\"2\""
                        + " fill=\"none\"%s/>%n", path, colors[s], dash));
            }
            for (int i = 0; i < xs.size(); i++) {
                double v = values.get(s)[i];
                if (!(v > 0)) {
                    continue;
                }
                double x = x(left, i) + dodge(s);
                double l = lows.get(s)[i];
                double h = highs.get(s)[i];
                if (h > l) {
                    double y1 = y(axis, Double.isInfinite(h) ? axis.max() : h);
                    double y2 = y(axis, l > 0 ? l : axis.min());
                    b.append(String.format(Locale.ROOT, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fh6M%.1f %.1fh6\""
                            + " stroke=\"%s\" stroke-width=\"1\" fill=\"none\"/>%n", x, y1, y2, x - 3, y1, x - 3, y2,
                            colors[s]));
                }
                b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s,"
                        + " %d threads: %s (%s – %s)</title></circle>%n", x, y(axis, v), colors[s],
                        esc(series.get(s)), xs.get(i), esc(Format.number(v)),
                        esc(Format.number(l)), esc(Format.number(h))));
            }
        }

        // Legend.
        int ly = TOP + PLOT_HEIGHT + 60;
        for (int s = 0; s < n; s++) {
            int lx = left + (s % columns) * columnWidth;
            int y = ly + (s / columns) * 18;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\""
                    + " stroke-width=\"2\"%s/>%n", lx, y - 4, lx + 24, y - 4, colors[s],
                    baseline.get(s) ? " stroke-dasharray=\"6 4\"" : ""));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", lx + 30, y,
                    esc(series.get(s))));
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private String[] colors() {
        String[] colors = new String[series.size()];
        int ours = 0;
        int theirs = 0;
        for (int s = 0; s < colors.length; s++) {
            colors[s] = baseline.get(s) ? BarChart.BASELINES[theirs++ % BarChart.BASELINES.length]
                    : BarChart.OURS[ours++ % BarChart.OURS.length];
        }
        return colors;
    }

    /** {@return the x coordinate of the i-th x value: log-2 spacing between the first and the last} */
    private double x(int left, int i) {
        double first = Math.log(Math.max(1, xs.get(0)));
        double last = Math.log(Math.max(1, xs.get(xs.size() - 1)));
        if (last <= first) {
            return left + PLOT_WIDTH / 2.0;
        }
        double f = (Math.log(Math.max(1, xs.get(i))) - first) / (last - first);
        return left + PAD + f * (PLOT_WIDTH - 2 * PAD);
    }

    /** {@return the sideways offset of series {@code s}: 3 px apart, centred on the x value} */
    private double dodge(int s) {
        return (s - (series.size() - 1) / 2.0) * 3;
    }

}
