package dev.hardmem.bench.report;

import java.util.Locale;
import java.util.Map;

/** How the report writes numbers, ratios, byte counts and parameter values. */
final class Format {
    private Format() {
    }

    /** {@return {@code v} with about three significant digits, thousands grouped} */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        double a = Math.abs(v);
        if (a >= 100 || a >= 10 && v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%,d", Math.round(v));
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        if (a == 0) {
            return "0";
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    static String ratio(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "?";
        }
        if (v >= 100) {
            return String.format(Locale.ROOT, "%,d×", Math.round(v));
        }
        if (v >= 10) {
            return String.format(Locale.ROOT, "%.1f×", v);
        }
        return String.format(Locale.ROOT, "%.2f×", v);
    }

    static String group(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%,d", Math.round(v));
    }

    /** The names of the AEAD algorithms, as the {@code algorithm} parameter gives them (the enum constants). */
    private static final Map<String, String> ALGORITHMS = Map.of("XCHACHA20_POLY1305", "XChaCha20-Poly1305",
            "CHACHA20_POLY1305", "ChaCha20-Poly1305", "AES_256_GCM", "AES-256-GCM");

    /** {@return a parameter's value as a reader knows it: an algorithm by its usual name, a count grouped} */
    static String display(String v) {
        return ALGORITHMS.getOrDefault(v, group(v));
    }

    static String group(String v) {
        try {
            return group(Double.parseDouble(v));
        } catch (NumberFormatException e) {
            return v;
        }
    }

    /** {@return a byte count as {@code 32 B}, {@code 1 KiB}, {@code 16 MiB}} */
    static String bytes(String v) {
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            return v;
        }
        if (n >= 1 << 20 && n % (1 << 20) == 0) {
            return n / (1 << 20) + " MiB";
        }
        if (n >= 1 << 10 && n % (1 << 10) == 0) {
            return n / (1 << 10) + " KiB";
        }
        return n + " B";
    }
}
