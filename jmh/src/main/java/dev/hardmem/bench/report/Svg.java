package dev.hardmem.bench.report;

import java.util.Locale;

/** What the bar and line charts draw alike: the header, the value grid and axes, and escaping. */
final class Svg {
    /** Pixels above the plot (title and axis label). */
    static final int TOP = 56;
    static final int PLOT_HEIGHT = 300;

    private Svg() {
    }

    /** Opens the SVG document: white background, the title, and the value axis's label. */
    static void open(StringBuilder b, int width, int height, int left, String title, String axisLabel, boolean log) {
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""
                + " font-size=\"12\">%n", width, height, width, height));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", width, height));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">%s</text>%n",
                left, esc(title)));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"42\" fill=\"#555\">%s%s</text>%n", left,
                esc(axisLabel), log ? " (log scale)" : ""));
    }

    /** Draws the grid line and label of every tick of {@code axis}, then the value axis and the baseline. */
    static void frame(StringBuilder b, Axis axis, int left, int plotWidth) {
        for (double t : axis.ticks()) {
            double y = y(axis, t);
            b.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>%n",
                    left, y, left + plotWidth, y));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#444\">%s"
                    + "</text>%n", left - 6, y + 4, esc(Axis.label(t))));
        }
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n",
                left, TOP, left, TOP + PLOT_HEIGHT));
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n",
                left, TOP + PLOT_HEIGHT, left + plotWidth, TOP + PLOT_HEIGHT));
    }

    /** {@return the y coordinate of {@code v} on {@code a}} */
    static double y(Axis a, double v) {
        return TOP + PLOT_HEIGHT - a.fraction(v) * PLOT_HEIGHT;
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
