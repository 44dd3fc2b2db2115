package dev.hardmem.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static dev.hardmem.bench.report.Svg.PLOT_HEIGHT;
import static dev.hardmem.bench.report.Svg.TOP;
import static dev.hardmem.bench.report.Svg.esc;
import static dev.hardmem.bench.report.Svg.y;

/**
 * A grouped bar chart as a standalone SVG: one group per parameter value (a size, a count), one bar per benchmark
 * method, an error bar per bar, a log or linear value axis. Missing bars (a tier that cannot hold the size, a
 * skipped baseline) are marked {@code n/a} rather than drawn as zero.
 */
final class BarChart {
    /** Colours of hardmem's series, in order; the baselines are grey. Shared with {@link LineChart}. */
    static final String[] OURS = {"#1f5fa6", "#2e9e44", "#e07b12", "#7b4fb0", "#138d9c", "#c0392b", "#8c564b",
        "#d6589f", "#9a9a1f", "#4f6bd8"};
    static final String[] BASELINES = {"#6b6b6b", "#a6a6a6", "#3d3d3d", "#cfcfcf"};

    private int left = 84;
    private final String title;
    private final String axisLabel;
    private final boolean log;
    private final List<String> groups = new ArrayList<>();
    private final List<String> series = new ArrayList<>();
    private final List<Boolean> baseline = new ArrayList<>();
    private final List<double[]> values = new ArrayList<>();
    private final List<double[]> errors = new ArrayList<>();

    BarChart(String title, String axisLabel, boolean log, List<String> groups) {
        this.title = title;
        this.axisLabel = axisLabel;
        this.log = log;
        this.groups.addAll(groups);
    }

    String title() {
        return title;
    }

    /** Adds one series: {@code value[g]} and {@code error[g]} per group, NaN where there is no result. */
    void series(String name, boolean isBaseline, double[] value, double[] error) {
        series.add(name);
        baseline.add(isBaseline);
        values.add(value);
        errors.add(error);
    }

    String svg() {
        int bars = series.size();
        int barWidth = bars > 6 ? 16 : 22;
        int groupWidth = bars * barWidth + 28;
        int plotWidth = Math.max(420, groups.size() * groupWidth);
        int longest = series.stream().mapToInt(String::length).max().orElse(10);
        int columnWidth = 17 + longest * 7 + 16;

        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (int s = 0; s < bars; s++) {
            for (int g = 0; g < groups.size(); g++) {
                double v = values.get(s)[g];
                if (!(v > 0) || Double.isInfinite(v)) {
                    continue;
                }
                double e = Double.isNaN(errors.get(s)[g]) ? 0 : errors.get(s)[g];
                lo = Math.min(lo, v);
                hi = Math.max(hi, v + e);
            }
        }
        if (hi == 0) {
            lo = 1;
            hi = 10;
        }
        Axis axis = log ? Axis.log(lo, hi) : Axis.linear(hi);
        int widest = axis.ticks().stream().mapToInt(t -> Axis.label(t).length()).max().orElse(4);
        left = Math.max(48, 14 + widest * 7);
        int width = left + plotWidth + 24;
        int columns = Math.max(1, Math.min(bars, (width - left) / columnWidth));
        int legendRows = (bars + columns - 1) / columns;
        int height = TOP + PLOT_HEIGHT + 44 + legendRows * 18 + 12;

        StringBuilder b = new StringBuilder();
        Svg.open(b, width, height, left, title, axisLabel, log);

        // Grid and value axis.
        Svg.frame(b, axis, left, plotWidth);

        // Bars.
        double slot = (double) plotWidth / groups.size();
        int ours = 0;
        int theirs = 0;
        String[] colors = new String[bars];
        for (int s = 0; s < bars; s++) {
            colors[s] = baseline.get(s) ? BASELINES[theirs++ % BASELINES.length] : OURS[ours++ % OURS.length];
        }
        for (int g = 0; g < groups.size(); g++) {
            double x0 = left + g * slot + (slot - bars * barWidth) / 2;
            for (int s = 0; s < bars; s++) {
                double x = x0 + s * barWidth;
                double v = values.get(s)[g];
                double e = errors.get(s)[g];
                if (!(v > 0)) {
                    b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" fill=\"#888\""
                            + " transform=\"rotate(-90 %.1f %d)\">n/a</text>%n", x + barWidth / 2.0 + 3,
                            TOP + PLOT_HEIGHT - 4, x + barWidth / 2.0 + 3, TOP + PLOT_HEIGHT - 4));
                    continue;
                }
                double top = y(axis, v);
                double bottom = TOP + PLOT_HEIGHT;
                b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\""
                        + " fill=\"%s\"><title>%s, %s: %s%s</title></rect>%n", x + 1, top, barWidth - 2,
                        Math.max(0.5, bottom - top), colors[s], esc(series.get(s)), esc(groups.get(g)),
                        esc(Format.number(v)), Double.isNaN(e) ? "" : " ± " + esc(Format.number(e))));
                if (!Double.isNaN(e) && e > 0) {
                    double y1 = y(axis, v + e);
                    double y2 = y(axis, Math.max(v - e, axis.min()));
                    double cx = x + barWidth / 2.0;
                    b.append(String.format(Locale.ROOT, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fh6M%.1f %.1fh6\""
                            + " stroke=\"#000\" stroke-width=\"1\" fill=\"none\"/>%n", cx, y1, y2, cx - 3, y1,
                            cx - 3, y2));
                }
                if (barWidth >= 16) {
                    // Above the error bar if there is room, else inside the bar, in white.
                    double above = (!Double.isNaN(e) && e > 0 ? y(axis, v + e) : top) - 4;
                    String label = Format.number(v);
                    double length = label.length() * 5.5;
                    boolean inside = above - length < TOP;
                    double lx = x + barWidth / 2.0 + 3;
                    double ly = inside ? top + 4 + length : above;
                    b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"%s\""
                            + " transform=\"rotate(-90 %.1f %.1f)\">%s</text>%n", lx, ly, inside ? "#fff" : "#222",
                            lx, ly, esc(label)));
                }
            }
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    left + g * slot + slot / 2, TOP + PLOT_HEIGHT + 18, esc(groups.get(g))));
        }

        // Legend.
        int ly = TOP + PLOT_HEIGHT + 44;
        for (int s = 0; s < bars; s++) {
            int lx = left + (s % columns) * columnWidth;
            int y = ly + (s / columns) * 18;
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>%n",
                    lx, y - 10, colors[s]));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", lx + 17, y,
                    esc(series.get(s))));
        }
        b.append("</svg>\n");
        return b.toString();
    }


}
