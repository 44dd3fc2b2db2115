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

    /**
     * {@return the Targets table: each target's ratio in this run, its range from the error bars, and the verdict}
     * {@code scaling} are the results of the thread-scaling run (empty if there was none), for the targets stated
     * across thread counts.
     */
    static String render(List<Result> results, List<Result> scaling) {
        StringBuilder b = new StringBuilder();
        b.append("Ratios from this run. The range comes from the error bars of both scores; PASS or MISS is decided"
                + " on the point estimates.\n\n");
        b.append("| Target | Measured | Range | Result |\n|---|---:|---:|---|\n");
        for (Target t : targets()) {
            b.append("| ").append(t.text()).append(" | ");
            Verdict v = switch (t.kind()) {
                case AT_MOST_NANOS -> absolute(results, t);
                case THREADS_SLOWER_BY_AT_MOST -> acrossThreads(scaling, t);
                default -> versus(results, t);
            };
            if (v.why() != null) {
                b.append("— | — | ").append(v.why()).append(" |\n");
                continue;
            }
            boolean lower = t.kind() != Kind.FASTER_BY_AT_LEAST && t.kind() != Kind.THROUGHPUT_AT_LEAST;
            boolean pass = lower ? v.value() <= t.bound() : v.value() >= t.bound();
            String shown = t.kind() == Kind.AT_MOST_NANOS ? nanos(v.value()) : ratio(v.value());
            String bound = t.kind() == Kind.AT_MOST_NANOS ? nanos(t.bound()) : ratio(t.bound());
            String by = ratio(lower ? v.value() / t.bound() : t.bound() / v.value());
            b.append(shown).append(v.where()).append(" | ").append(t.kind() == Kind.AT_MOST_NANOS
                            ? nanosRange(v.lo(), v.hi()) : range(v.lo(), v.hi())).append(" | ")
                    .append(pass ? "**PASS**" : "**MISS** by " + by + " (" + shown + " vs " + (lower ? "≤ " : "≥ ")
                            + bound + ")")
                    .append(v.straddles() ? " (within the error bars)" : "")
                    .append(pass ? "" : unattainable(results, t)).append(" |\n");
        }
        return b.toString();
    }

    /**
     * What a target measured: {@code value} (a ratio, or nanoseconds for {@link Kind#AT_MOST_NANOS}) with the range
     * {@code lo}–{@code hi} its error bars allow, {@code where} it was worst (or empty), and whether some range it
     * was judged on reaches across the bound; or {@code why} it was not measured.
     */
    private record Verdict(double value, double lo, double hi, String where, boolean straddles, String why) {
        static Verdict missing(String why) {
            return new Verdict(Double.NaN, Double.NaN, Double.NaN, "", false, why);
        }

        static Verdict of(double value, double lo, double hi, double bound) {
            return new Verdict(value, lo, hi, "", lo <= bound && bound <= hi, null);
        }
    }

    /** {@return why {@code t} has no result in {@code results}: its class did not run, or the method did not} */
    private static Verdict notMeasured(List<Result> results, Target t, String missing) {
        boolean classRan = results.stream().anyMatch(r -> r.cls().equals(t.cls()));
        return Verdict.missing(!classRan ? "not in this run"
                : missing != null && missing.contains("Sodium") ? Report.SODIUM_MISSING : "not measured");
    }

    /** A time against a baseline (or the sum of two), as a ratio of times or of throughputs. */
    private static Verdict versus(List<Result> results, Target t) {
        Result m = find(results, t.cls(), t.method(), t.where());
        Result base = find(results, t.cls(), t.baseline(), t.where());
        Result plus = t.plus() == null ? null : find(results, t.cls(), t.plus(), t.where());
        if (m == null || base == null || t.plus() != null && plus == null) {
            return notMeasured(results, t, m == null ? t.method() : base == null ? t.baseline() : t.plus());
        }
        double ms = Report.toNanos(m.score(), m.unit());
        double te = Report.toNanos(nz(m.error()), m.unit());
        double bs = Report.toNanos(base.score(), base.unit());
        double be = Report.toNanos(nz(base.error()), base.unit());
        if (plus != null) {
            bs += Report.toNanos(plus.score(), plus.unit());
            be += Report.toNanos(nz(plus.error()), plus.unit());
        }
        if (t.kind() == Kind.SLOWER_BY_AT_MOST) {
            return Verdict.of(ms / bs, (ms - te) / (bs + be), bs - be > 0 ? (ms + te) / (bs - be)
                    : Double.POSITIVE_INFINITY, t.bound());
        }
        return Verdict.of(bs / ms, (bs - be) / (ms + te), ms - te > 0 ? (bs + be) / (ms - te)
                : Double.POSITIVE_INFINITY, t.bound());
    }

    /** A time per operation against a fixed bound in nanoseconds. */
    private static Verdict absolute(List<Result> results, Target t) {
        Result m = find(results, t.cls(), t.method(), t.where());
        if (m == null) {
            return notMeasured(results, t, t.method());
        }
        double ns = Report.toNanos(m.score(), m.unit());
        double e = Report.toNanos(nz(m.error()), m.unit());
        return Verdict.of(ns, ns - e, ns + e, t.bound());
    }

    /**
     * The worst ratio, over the thread counts above 1 of the thread-scaling run, of {@code t}'s method's time per
     * operation to its own time at 1 thread.
     */
    private static Verdict acrossThreads(List<Result> scaling, Target t) {
        List<Result> rs = scaling.stream().filter(r -> r.cls().equals(t.cls()) && r.method().equals(t.method())
                && matches(r, t.where())).toList();
        if (rs.isEmpty()) {
            return Verdict.missing("not in the thread-scaling run");
        }
        Result one = rs.stream().filter(r -> Scaling.threads(r) == 1).findFirst().orElse(null);
        if (one == null || rs.size() < 2) {
            return Verdict.missing("not measured: the thread-scaling run needs 1 thread and at least one count above");
        }
        Verdict worst = null;
        boolean straddles = false;
        for (Result r : rs) {
            int threads = Scaling.threads(r);
            if (threads == 1) {
                continue;
            }
            double[] q = Scaling.ratio(r, one);
            straddles |= q[1] <= t.bound() && t.bound() <= q[2];
            if (worst == null || q[0] > worst.value()) {
                worst = new Verdict(q[0], q[1], q[2], " (" + threads + " threads)", false, null);
            }
        }
        return new Verdict(worst.value(), worst.lo(), worst.hi(), worst.where(), straddles, null);
    }

    /**
     * {@return a note when a speed-up target against a baseline is out of reach of plain FFM itself} If
     * {@code Arena.ofConfined()} (no wipe, no guard pages, no locking) at the same size is not that much faster than
     * the baseline in this run, no allocator that also wipes can be: the time is in the bytes, not the bookkeeping.
     */
    private static String unattainable(List<Result> results, Target t) {
        if (t.kind() == Kind.SLOWER_BY_AT_MOST && t.cls().equals(Sections.SEALED) && t.plus() == null) {
            return sealedFloor(results, t);
        }
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

    private static String nanos(double ns) {
        return ns >= 1000 ? Format.number(ns / 1000) + " µs" : Format.number(ns) + " ns";
    }

    private static String nanosRange(double lo, double hi) {
        return nanos(Math.max(lo, 0)) + " – " + nanos(hi);
    }

    /**
     * {@return a note when a sealed read's target against a baseline is out of reach of the decryption alone} If
     * libsodium's XChaCha20-Poly1305 open on plain memory ({@code aeadOpen}: no key derived, no lock, no scratch
     * memory, no wipe) is already more than the bound times the baseline, no sealed read can meet it.
     */
    private static String sealedFloor(List<Result> results, Target t) {
        Result floor = find(results, t.cls(), "aeadOpen", t.where());
        Result base = find(results, t.cls(), t.baseline(), t.where());
        if (floor == null || base == null) {
            return "";
        }
        double alone = floor.score() / base.score();
        return alone <= t.bound() ? "" : "; out of reach: libsodium's XChaCha20-Poly1305 open alone (`aeadOpen`, on"
                + " plain memory, no key to derive) takes " + ratio(alone) + " the baseline's time in this run";
    }

    /** {@return "lo – hi", with a bound that the error bars leave open (an error as large as its score) as such} */
    static String range(double lo, double hi) {
        return (lo > 0 ? ratio(lo) : "0") + " – " + (Double.isInfinite(hi) ? "unbounded" : ratio(hi));
    }

    private static double nz(double e) {
        return Double.isNaN(e) ? 0 : e;
    }
}
