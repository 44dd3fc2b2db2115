package dev.hardmem.bench.report;

import dev.hardmem.bench.report.Sections.Kind;
import dev.hardmem.bench.report.Sections.Section;
import dev.hardmem.bench.report.Sections.Target;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static dev.hardmem.bench.report.Sections.LIVE;
import static dev.hardmem.bench.report.Sections.SECTIONS;
import static dev.hardmem.bench.report.Sections.THROUGHPUT;
import static dev.hardmem.bench.report.Sections.WIPE;
import static dev.hardmem.bench.report.Sections.targets;

/**
 * Turns JMH's JSON result into {@code docs/benchmarks.md} (scores, errors, ratios against each baseline of the same
 * class, the targets with PASS/MISS, the machine, JDK and date) and one SVG chart per benchmark class, plus the
 * thread-scaling section ({@link Scaling}) from a second result file where there is one. Plain Java, no network, no
 * dependencies.
 *
 * {@snippet lang = "sh" :
 * java -cp jmh/target/benchmarks.jar dev.hardmem.bench.report.Report \
 *     jmh/target/jmh-result.json docs/benchmarks.md docs/benchmarks [full|quick|smoke] [notes.md] [scaling.json]
 * }
 *
 * <p>Conventions it relies on: a method whose name starts with {@code baseline} is a baseline, compared with every
 * other method of its class that has the same parameters. A parameter named {@code size} is a number of bytes. A
 * chart has one group per value of the section's grouping parameter, and one bar per method and value of the other
 * parameters ({@code hardmemNative AES-256-GCM}).
 */
public final class Report {
    static final String SODIUM_MISSING = "not measured: libsodium missing (apt-get install libsodium23)";

    private Report() {
    }

    /** One benchmark with one set of parameters. */
    record Result(String cls, String method, String mode, Map<String, String> params, double score, double error,
                  String unit, Map<String, double[]> secondary, Map<String, Object> raw) {
        boolean isBaseline() {
            return method.startsWith("baseline");
        }

        String param(String name) {
            return params.get(name);
        }

        /** Lower is better (a time per operation), unless the unit is a rate. */
        boolean timeUnit() {
            return !unit.startsWith("ops/");
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: Report <jmh-result.json> <benchmarks.md> <chart-directory> [full|quick|smoke]"
                    + " [notes.md] [scaling.json]");
            System.exit(2);
        }
        Path json = Path.of(args[0]);
        Path markdown = Path.of(args[1]);
        Path charts = Path.of(args[2]);
        String mode = args.length > 3 ? args[3] : "full";
        Path notes = args.length > 4 ? Path.of(args[4]) : null;
        Path scalingJson = args.length > 5 ? Path.of(args[5]) : null;
        boolean scaled = scalingJson != null && Files.exists(scalingJson);
        // A full report without the suite's result would replace docs/benchmarks.md with the scaling section alone.
        if (!Files.exists(json) && (mode.equals("full") || !scaled)) {
            System.err.println("Report: " + json + " does not exist; run the benchmarks with -rf json first (for"
                    + " the full report: ./mvnw -q -f jmh/pom.xml -Pbench package)");
            System.exit(2);
        }
        List<Result> results = Files.exists(json) ? read(json) : List.of();
        Instant measured = Files.exists(json) ? Machine.measured(json) : Instant.now();
        String md = render(results, measured, Machine.of(json), mode, markdown, charts);
        List<Result> scaling = scaled ? read(scalingJson) : List.of();
        md += Scaling.section(scaling, scaled ? Machine.measured(scalingJson) : measured,
                scaled ? Machine.of(scalingJson) : Machine.of(json), markdown, charts);
        if (notes != null && Files.exists(notes)) {
            md += "\n" + Files.readString(notes, StandardCharsets.UTF_8).strip() + "\n";
        }
        Files.createDirectories(markdown.toAbsolutePath().getParent());
        Files.writeString(markdown, md, StandardCharsets.UTF_8);
        System.out.println("Report: wrote " + markdown + " and charts in " + charts + " from " + results.size()
                + " results" + (scaled ? " and " + scaling.size() + " thread-scaling results" : ""));
    }

    // ------------------------------------------------------------------------------------------------ reading

    static List<Result> read(Path json) throws IOException {
        List<Result> out = new ArrayList<>();
        for (Object o : Json.array(Json.parse(Files.readString(json, StandardCharsets.UTF_8)))) {
            Map<String, Object> r = Json.object(o);
            String name = (String) r.get("benchmark");
            String[] parts = name.split("\\.");
            String cls = parts[parts.length - 2];
            String method = parts[parts.length - 1];
            Map<String, String> params = new LinkedHashMap<>();
            for (Map.Entry<String, Object> p : Json.object(r.get("params")).entrySet()) {
                params.put(p.getKey(), String.valueOf(p.getValue()));
            }
            Map<String, Object> pm = Json.object(r.get("primaryMetric"));
            Map<String, double[]> secondary = new LinkedHashMap<>();
            for (Map.Entry<String, Object> s : Json.object(r.get("secondaryMetrics")).entrySet()) {
                Map<String, Object> m = Json.object(s.getValue());
                secondary.put(s.getKey(), secondary(m));
            }
            out.add(new Result(cls, method, (String) r.get("mode"), params, Json.number(pm.get("score")),
                    Json.number(pm.get("scoreError")), String.valueOf(pm.get("scoreUnit")), secondary, r));
        }
        return out;
    }

    /**
     * {@return {value, error} of a secondary metric} JMH sums auxiliary counters ({@code @AuxCounters}, unit
     * {@code #}) over the iterations, which turns "secrets held in one iteration" into three times that after three
     * iterations; so counters are read back as the mean of their per-iteration raw values. Other metrics (e.g.
     * {@code -prof gc} rates) keep JMH's score.
     */
    private static double[] secondary(Map<String, Object> m) {
        if ("#".equals(m.get("scoreUnit"))) {
            double sum = 0;
            int n = 0;
            for (Object fork : Json.array(m.get("rawData"))) {
                for (Object v : Json.array(fork)) {
                    sum += Json.number(v);
                    n++;
                }
            }
            if (n > 0) {
                return new double[]{sum / n, Double.NaN};
            }
        }
        return new double[]{Json.number(m.get("score")), Json.number(m.get("scoreError"))};
    }

    // ------------------------------------------------------------------------------------------------ rendering

    static String render(List<Result> results, Instant measured, String machine, String mode, Path markdown,
                         Path charts) throws IOException {
        Map<String, List<Result>> byClass = new LinkedHashMap<>();
        for (String cls : SECTIONS.keySet()) {
            byClass.put(cls, new ArrayList<>());
        }
        for (Result r : results) {
            byClass.computeIfAbsent(r.cls(), c -> new ArrayList<>()).add(r);
        }
        byClass.values().removeIf(List::isEmpty);

        StringBuilder b = new StringBuilder();
        b.append("# hardmem benchmarks\n\n");
        b.append("<!-- Generated by dev.hardmem.bench.report.Report from the JMH JSON result; do not edit by hand."
                + " Regenerate with the command below. -->\n\n");
        if (!mode.equals("full")) {
            b.append("> **").append(mode.toUpperCase(Locale.ROOT)).append(" RUN.** ")
                    .append(mode.equals("smoke") ? "It proves that every benchmark runs; its numbers mean nothing."
                            : "A first look with short iterations; numbers are rough.")
                    .append("\n\n");
        }
        Result first = results.isEmpty() ? null : results.get(0);
        b.append("Measured ").append(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
                .format(measured.atOffset(ZoneOffset.UTC))).append(" on ").append(machine);
        if (first != null) {
            b.append(", JDK ").append(first.raw().get("jdkVersion")).append(" (").append(first.raw().get("vmName"))
                    .append(' ').append(first.raw().get("vmVersion")).append("), JMH ")
                    .append(first.raw().get("jmhVersion"));
        }
        b.append(".\n\n");
        b.append("Reproduce (from the repository root; the full suite takes about 14 minutes on 2 cores;"
                + " `-Pbench,quick` gives a first look in about 10):\n\n```sh\n"
                + "./mvnw -q install -DskipTests && ./mvnw -q -f jmh/pom.xml -Pbench package\n```\n\n"
                + "The thread-scaling section at the end comes from its own run (`-Pbench,scaling`, below).\n\n");
        b.append("Run configuration: ").append(configurations(byClass)).append(". Errors are JMH's 99.9%"
                + " confidence half-intervals (NaN where there was one measurement iteration). Ratios compare point"
                + " estimates within one run, in one JVM build, on a machine whose two cores other processes may"
                + " have shared.\n\n");

        b.append("## Targets\n\n");
        b.append(targetsTable(results));

        Path chartDirAbs = charts.toAbsolutePath();
        Files.createDirectories(chartDirAbs);
        Path mdDir = markdown.toAbsolutePath().getParent();
        for (Map.Entry<String, List<Result>> e : byClass.entrySet()) {
            String cls = e.getKey();
            List<Result> rs = e.getValue();
            Section s = SECTIONS.getOrDefault(cls, new Section(cls.replace("Benchmark", ""), null, null,
                    cls.replace("Benchmark", ""), "score"));
            b.append("\n## ").append(s.title()).append(" (`").append(cls).append("`)\n\n");
            if (s.question() != null) {
                b.append(s.question()).append("\n\n");
            }
            List<BarChart> cs = charts(cls, s, rs);
            for (int i = 0; i < cs.size(); i++) {
                String file = cls + (i == 0 ? "" : "-" + (i + 1)) + ".svg";
                Files.writeString(chartDirAbs.resolve(file), cs.get(i).svg(), StandardCharsets.UTF_8);
                String rel = mdDir.relativize(chartDirAbs.resolve(file)).toString().replace('\\', '/');
                b.append("![").append(Svg.esc(cs.get(i).title())).append("](").append(rel).append(")\n\n");
            }
            b.append(table(cls, rs));
        }
        return b.toString();
    }

    /** {@return the run configurations, each with the classes that used it} */
    private static String configurations(Map<String, List<Result>> byClass) {
        Map<String, Set<String>> classesByConfig = new LinkedHashMap<>();
        for (Map.Entry<String, List<Result>> e : byClass.entrySet()) {
            for (Result r : e.getValue()) {
                Map<String, Object> raw = r.raw();
                String config;
                if (raw.get("measurementTime").equals("single-shot")) {
                    config = String.format(Locale.ROOT, "single shot, %d warm-up + %d measured iterations",
                            (int) Json.number(raw.get("warmupIterations")),
                            (int) Json.number(raw.get("measurementIterations")));
                } else {
                    config = String.format(Locale.ROOT, "%s, warm-up %d × %s, measurement %d × %s",
                            r.mode().equals("avgt") ? "average time" : r.mode(),
                            (int) Json.number(raw.get("warmupIterations")), raw.get("warmupTime"),
                            (int) Json.number(raw.get("measurementIterations")), raw.get("measurementTime"));
                }
                int forks = (int) Json.number(raw.get("forks"));
                config += ", " + forks + (forks == 1 ? " fork" : " forks");
                classesByConfig.computeIfAbsent(config, c -> new LinkedHashSet<>()).add("`" + e.getKey() + "`");
            }
        }
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : classesByConfig.entrySet()) {
            parts.add(e.getKey() + " (" + String.join(", ", e.getValue()) + ")");
        }
        return String.join("; ", parts);
    }

    private static Result find(List<Result> results, String cls, String method, Map<String, String> where) {
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

    private static String targetsTable(List<Result> results) {
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
                        : base == null && t.baseline().contains("Sodium") ? SODIUM_MISSING : "not measured";
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

    /** Methods of a class: ours first (in result order), then the baselines. */
    private static List<String> methods(List<Result> rs) {
        LinkedHashSet<String> ours = new LinkedHashSet<>();
        LinkedHashSet<String> theirs = new LinkedHashSet<>();
        for (Result r : rs) {
            (r.isBaseline() ? theirs : ours).add(r.method());
        }
        List<String> all = new ArrayList<>(ours);
        all.addAll(theirs);
        return all;
    }

    private static List<String> paramNames(List<Result> rs) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (Result r : rs) {
            names.addAll(r.params().keySet());
        }
        return new ArrayList<>(names);
    }

    private static Comparator<String> numericFirst() {
        return (a, b) -> {
            try {
                return Double.compare(Double.parseDouble(a), Double.parseDouble(b));
            } catch (NumberFormatException e) {
                return a.compareTo(b);
            }
        };
    }

    private static String paramKey(Result r, List<String> names) {
        StringBuilder k = new StringBuilder();
        for (String n : names) {
            k.append(n).append('=').append(r.param(n)).append(';');
        }
        return k.toString();
    }

    private static String table(String cls, List<Result> rs) {
        List<String> methods = methods(rs);
        List<String> names = paramNames(rs);
        names.remove("batchBytes");
        List<String> baselines = methods.stream().filter(m -> m.startsWith("baseline")).toList();
        boolean ratios = !cls.equals(LIVE);
        List<Result> sorted = new ArrayList<>(rs);
        Comparator<Result> byParams = (x, y) -> 0;
        for (String n : names) {
            Comparator<String> c = numericFirst();
            byParams = byParams.thenComparing(r -> r.param(n) == null ? "" : r.param(n), c);
        }
        sorted.sort(byParams.thenComparing(r -> methods.indexOf(r.method())));

        StringBuilder b = new StringBuilder();
        b.append("| Benchmark |");
        for (String n : names) {
            b.append(' ').append(n).append(" |");
        }
        b.append(" Score | ± Error | Unit |");
        if (cls.equals(WIPE)) {
            b.append(" per wipe (ns) | GB/s |");
        } else if (THROUGHPUT.contains(cls)) {
            b.append(" GB/s |");
        }
        if (cls.equals(LIVE)) {
            b.append(" held | guarded | stops guarding at | µs per secret | mappings added | locked MiB added |"
                    + " RSS MiB added |");
        }
        if (ratios) {
            for (String base : baselines) {
                b.append(" vs `").append(base).append("` |");
            }
        }
        b.append("\n|---|");
        b.append("---:|".repeat(names.size())).append("---:|---:|---|");
        if (cls.equals(WIPE)) {
            b.append("---:|---:|");
        } else if (THROUGHPUT.contains(cls)) {
            b.append("---:|");
        }
        if (cls.equals(LIVE)) {
            b.append("---:|---:|---:|---:|---:|---:|---:|");
        }
        if (ratios) {
            b.append("---:|".repeat(baselines.size()));
        }
        b.append('\n');
        for (Result r : sorted) {
            b.append("| `").append(r.method()).append("` |");
            for (String n : names) {
                String v = r.param(n);
                b.append(' ').append(v == null ? "" : n.equals("size") ? bytes(v) : display(v)).append(" |");
            }
            b.append(' ').append(number(r.score())).append(" | ").append(Double.isNaN(r.error()) ? "NaN"
                    : number(r.error())).append(" | ").append(r.unit()).append(" |");
            if (cls.equals(WIPE)) {
                double[] w = throughput(r);
                b.append(' ').append(number(w[0])).append(" | ").append(number(w[1])).append(" |");
            } else if (THROUGHPUT.contains(cls)) {
                b.append(' ').append(number(throughput(r)[1])).append(" |");
            }
            if (cls.equals(LIVE)) {
                double held = sec(r, "secrets");
                double stops = sec(r, "stopsAt");
                b.append(' ').append(group(held)).append(" | ").append(group(sec(r, "guarded"))).append(" | ")
                        .append(stops > 0 ? group(stops) : "—").append(" | ")
                        .append(number(r.score() * 1000 / held)).append(" | ").append(group(sec(r, "mappingsAdded")))
                        .append(" | ").append(number(sec(r, "lockedKiBAdded") / 1024)).append(" | ")
                        .append(number(sec(r, "rssKiBAdded") / 1024)).append(" |");
            }
            if (ratios) {
                for (String base : baselines) {
                    b.append(' ').append(versus(r, base, rs, names)).append(" |");
                }
            }
            b.append('\n');
        }
        if (ratios && baselines.stream().anyMatch(x -> x.contains("Sodium"))
                && rs.stream().noneMatch(x -> x.method().contains("Sodium"))) {
            b.append("\nThe libsodium baseline did not run: ").append(SODIUM_MISSING).append(".\n");
        }
        return b.toString();
    }

    private static String versus(Result r, String base, List<Result> rs, List<String> names) {
        if (r.method().equals(base)) {
            return "—";
        }
        Result br = null;
        for (Result x : rs) {
            if (x.method().equals(base) && paramKey(x, names).equals(paramKey(r, names))) {
                br = x;
            }
        }
        if (br == null) {
            return base.contains("Sodium") ? "n/a" : "—";
        }
        double f = r.timeUnit() ? br.score() / r.score() : r.score() / br.score();
        return f >= 1 ? ratio(f) + " faster" : ratio(1 / f) + " slower";
    }

    private static double sec(Result r, String name) {
        double[] v = r.secondary().get(name);
        return v == null ? Double.NaN : v[0];
    }

    /**
     * {@return {ns per {@code size} bytes, GB/s}} for a result whose invocation handles max({@code size},
     * {@code batchBytes}) bytes: a {@code WipeBenchmark} result (ns per invocation, which wipes pieces of
     * {@code size} bytes), or one that handles {@code size} bytes (an AEAD message).
     */
    private static double[] throughput(Result r) {
        double size = Double.parseDouble(r.param("size"));
        double batch = r.param("batchBytes") == null ? size : Double.parseDouble(r.param("batchBytes"));
        double bytes = Math.max(size, batch);
        double ns = toNanos(r.score(), r.unit());
        return new double[]{ns / (bytes / size), bytes / ns};
    }

    static double toNanos(double v, String unit) {
        return switch (unit) {
            case "us/op" -> v * 1e3;
            case "ms/op" -> v * 1e6;
            case "s/op" -> v * 1e9;
            default -> v;
        };
    }

    // ------------------------------------------------------------------------------------------------ charts

    private static List<BarChart> charts(String cls, Section s, List<Result> rs) {
        List<String> methods = methods(rs);
        List<String> names = paramNames(rs);
        names.remove("batchBytes");
        String groupBy = s.groupBy() != null && names.contains(s.groupBy()) ? s.groupBy() : null;
        TreeMap<String, List<Result>> groups = new TreeMap<>(groupBy != null ? numericFirst()
                : Comparator.naturalOrder());
        for (Result r : rs) {
            String key = groupBy != null ? r.param(groupBy) : label(r, names);
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        List<String> keys = new ArrayList<>(groups.keySet());
        List<String> labels = keys.stream().map(k -> groupBy == null ? (k.isEmpty() ? "all" : k)
                : groupBy.equals("size") ? bytes(k) : groupBy.equals("count") ? group(k) + " secrets" : k).toList();

        // One series per method and value of the parameters the groups leave (the algorithm beside the size).
        List<String> others = groupBy == null ? List.of() : names.stream().filter(n -> !n.equals(groupBy)).toList();
        List<String> series = new ArrayList<>();
        for (String m : methods) {
            for (Result r : rs) {
                String name = seriesName(r, others);
                if (r.method().equals(m) && !series.contains(name)) {
                    series.add(name);
                }
            }
        }

        List<BarChart> out = new ArrayList<>();
        String unit = rs.get(0).unit();
        boolean gbps = THROUGHPUT.contains(cls);
        String axis = gbps ? s.axis() : s.axis() + " (" + unit + ")";
        out.add(chart(s.chartTitle(), axis, series, others, keys, labels, groups, gbps, null));
        if (cls.equals(LIVE)) {
            out.add(chart("Mappings added by N live 32-byte secrets", "mappings (/proc/self/maps lines)", series,
                    others, keys, labels, groups, false, "mappingsAdded"));
        }
        return out;
    }

    /** {@return the method, then the values of {@code others} it has, space-separated} */
    private static String seriesName(Result r, List<String> others) {
        StringBuilder b = new StringBuilder(r.method());
        for (String n : others) {
            if (r.param(n) != null) {
                b.append(' ').append(display(r.param(n)));
            }
        }
        return b.toString();
    }

    /**
     * {@return a chart with one bar per series per group} The value is the score, or GB/s ({@code gbps}), or the
     * secondary metric {@code secondary}; log scale when the values span more than a factor of 8.
     */
    private static BarChart chart(String title, String axis, List<String> series, List<String> others,
                                  List<String> keys, List<String> labels, Map<String, List<Result>> groups,
                                  boolean gbps, String secondary) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        List<double[]> vs = new ArrayList<>();
        List<double[]> es = new ArrayList<>();
        for (String m : series) {
            double[] v = new double[keys.size()];
            double[] e = new double[keys.size()];
            Arrays.fill(v, Double.NaN);
            Arrays.fill(e, Double.NaN);
            for (int g = 0; g < keys.size(); g++) {
                for (Result r : groups.get(keys.get(g))) {
                    if (!seriesName(r, others).equals(m)) {
                        continue;
                    }
                    if (secondary != null) {
                        double[] x = r.secondary().get(secondary);
                        v[g] = x == null ? Double.NaN : x[0];
                        e[g] = x == null ? Double.NaN : x[1];
                    } else if (gbps) {
                        double[] w = throughput(r);
                        v[g] = w[1];
                        e[g] = Double.isNaN(r.error()) ? Double.NaN : w[1] * r.error() / r.score();
                    } else {
                        v[g] = r.score();
                        e[g] = r.error();
                    }
                    if (v[g] > 0) {
                        lo = Math.min(lo, v[g]);
                        hi = Math.max(hi, v[g]);
                    }
                }
            }
            vs.add(v);
            es.add(e);
        }
        BarChart c = new BarChart(title, axis, hi / lo > 8, labels);
        for (int i = 0; i < series.size(); i++) {
            c.series(series.get(i), series.get(i).startsWith("baseline"), vs.get(i), es.get(i));
        }
        return c;
    }

    private static String label(Result r, List<String> names) {
        List<String> parts = new ArrayList<>();
        for (String n : names) {
            parts.add(n + "=" + r.param(n));
        }
        return String.join(", ", parts);
    }

    // ------------------------------------------------------------------------------------------------ formatting

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
