package dev.hardmem.bench.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A value axis for the charts: its range, log or linear, and its ticks. */
record Axis(double min, double max, boolean log, List<Double> ticks) {

    /** {@return a log axis from the power of ten at or below {@code lo} to the one at or above {@code hi}} */
    static Axis log(double lo, double hi) {
        double min = Math.pow(10, Math.floor(Math.log10(lo)));
        double max = Math.pow(10, Math.ceil(Math.log10(hi)));
        if (max <= min) {
            max = min * 10;
        }
        List<Double> ticks = new ArrayList<>();
        boolean fine = Math.log10(max / min) <= 2;
        for (double d = min; d <= max * 1.0001; d *= 10) {
            ticks.add(d);
            if (fine && d * 10 <= max * 1.0001) {
                ticks.add(d * 2);
                ticks.add(d * 5);
            }
        }
        return new Axis(min, max, true, ticks);
    }

    /** {@return a linear axis from 0 to a round number at or above {@code hi}} */
    static Axis linear(double hi) {
        double step = Math.pow(10, Math.floor(Math.log10(hi)));
        if (hi / step < 2) {
            step /= 5;
        } else if (hi / step < 5) {
            step /= 2;
        }
        double max = Math.ceil(hi / step) * step;
        List<Double> ticks = new ArrayList<>();
        for (double t = 0; t <= max * 1.0001; t += step) {
            ticks.add(t);
        }
        return new Axis(0, max, false, ticks);
    }

    /** {@return where {@code v} lies on this axis, from 0 (min) to 1 (max), clamped} */
    double fraction(double v) {
        double f = log ? (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))
                : (v - min) / (max - min);
        return Math.max(0, Math.min(1, f));
    }

    /** {@return a tick label: grouped thousands, or a short decimal without trailing zeros} */
    static String label(double t) {
        if (t >= 1 && t == Math.rint(t)) {
            return String.format(Locale.ROOT, "%,d", Math.round(t));
        }
        return BigDecimal.valueOf(t).round(new MathContext(2)).stripTrailingZeros().toPlainString();
    }
}
