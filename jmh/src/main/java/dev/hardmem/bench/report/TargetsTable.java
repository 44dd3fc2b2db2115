package dev.hardmem.bench.report;

import dev.hardmem.bench.report.Report.Result;
import dev.hardmem.bench.report.Sections.Kind;
import dev.hardmem.bench.report.Sections.Target;

import java.util.List;
import java.util.Map;

import static dev.hardmem.bench.report.Format.ratio;
import static dev.hardmem.bench.report.Sections.targets;

/** The report's table of targets: what each promises, what this run measured, PASS or MISS. */
final class TargetsTable {
    private TargetsTable() {
    }

    static Result find(List<Result> results, String cls, String method, Map<String, String> where) {
        for (Result r : results) {
            if (r.cls().equals(cls) && r.method().equals(method) && matches(r, where)) {
                return r;
            }
        }
        return null;
    }

    private static boolean matches(Result r, Map<String, String> where) {
        for (Map.Entry<String, String> w : where.entrySet()) {
            if (!w.getValue().equals(r.param(w.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** {@return the Targets table: each target's ratio in this run, its range from the error bars, and the verdict} */
    static String render(List<Result> results) {
        StringBuilder b = new StringBuilder();
        b.append("Ratios from this run. The range comes from the error bars of both scores; PASS or MISS is decided"
                + " on the point estimates.\n\n");
        b.append("| Target | Measured | Range | Result |\n|---|---:|---:|---|\n");
        for (Target t : targets()) {
            Result m = find(results, t.cls(), t.method(), t.where());
            Result base = find(results, t.cls(), t.baseline(), t.where());
            b.append("| ").append(t.text()).append(" | ");
            if (m == null || base == null) {
                boolean classRan = results.stream().anyMatch(r -> r.cls().equals(t.cls()));
                String why = !classRan ? "not in this run"
                        : base == null && t.baseline().contains("Sodium") ? Report.SODIUM_MISSING : "not measured";
                b.append("— | — | ").append(why).append(" |\n");
                continue;
            }
            double ratio;
            double lo;
            double hi;
            double te = nz(m.error());
            double be = nz(base.error());
            boolean pass;
            String miss;
            switch (t.kind()) {
                case SLOWER_BY_AT_MOST -> {
                    ratio = m.score() / base.score();
                    lo = (m.score() - te) / (base.score() + be);
                    hi = base.score() - be > 0 ? (m.score() + te) / (base.score() - be) : Double.POSITIVE_INFINITY;
                    pass = ratio <= t.bound();
                    miss = "MISS by " + ratio(ratio / t.bound()) + " (" + ratio(ratio) + " vs ≤ " + ratio(t.bound())
                            + ")";
                }
                default -> {
                    ratio = base.score() / m.score();
                    lo = (base.score() - be) / (m.score() + te);
                    hi = m.score() - te > 0 ? (base.score() + be) / (m.score() - te) : Double.POSITIVE_INFINITY;
                    pass = ratio >= t.bound();
                    miss = "MISS by " + ratio(t.bound() / ratio) + " (" + ratio(ratio) + " vs ≥ " + ratio(t.bound())
                            + ")";
                }
            }
            boolean straddles = lo <= t.bound() && t.bound() <= hi;
            b.append(ratio(ratio)).append(" | ").append(range(lo, hi)).append(" | ")
                    .append(pass ? "**PASS**" : "**" + miss.substring(0, 4) + "**" + miss.substring(4))
                    .append(straddles ? " (within the error bars)" : "")
                    .append(pass ? "" : unattainable(results, t)).append(" |\n");
        }
        return b.toString();
    }

    /**
     * {@return a note when a speed-up target against a baseline is out of reach of plain FFM itself} If
     * {@code Arena.ofConfined()} (no wipe, no guard pages, no locking) at the same size is not that much faster than
     * the baseline in this run, no allocator that also wipes can be: the time is in the bytes, not the bookkeeping.
     */
    private static String unattainable(List<Result> results, Target t) {
        if (t.kind() != Kind.FASTER_BY_AT_LEAST || !t.baseline().equals("baselineSodium")) {
            return "";
        }
        Result arena = find(results, t.cls(), "baselineArena", t.where());
        Result base = find(results, t.cls(), t.baseline(), t.where());
        if (arena == null || base == null) {
            return "";
        }
        double plain = base.score() / arena.score();
        return plain >= t.bound() ? "" : "; out of reach at this size: plain `Arena.ofConfined()` (no wipe, no guard"
                + " pages) is only " + ratio(plain) + " faster than the libsodium pair in this run";
    }

    /** {@return "lo – hi", with a bound that the error bars leave open (an error as large as its score) as such} */
    static String range(double lo, double hi) {
        return (lo > 0 ? ratio(lo) : "0") + " – " + (Double.isInfinite(hi) ? "unbounded" : ratio(hi));
    }

    private static double nz(double e) {
        return Double.isNaN(e) ? 0 : e;
    }
}
