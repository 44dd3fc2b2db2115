package dev.hardmem.bench.report;

import dev.hardmem.bench.report.Sections.Section;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static dev.hardmem.bench.report.Format.bytes;
import static dev.hardmem.bench.report.Format.display;
import static dev.hardmem.bench.report.Format.group;
import static dev.hardmem.bench.report.Format.number;
import static dev.hardmem.bench.report.Format.ratio;
import static dev.hardmem.bench.report.Sections.LIVE;
import static dev.hardmem.bench.report.Sections.SECTIONS;
import static dev.hardmem.bench.report.Sections.THROUGHPUT;
import static dev.hardmem.bench.report.Sections.WIPE;
import static dev.hardmem.bench.report.Sections.targets;

/**
 * Turns JMH's JSON result into {@code docs/benchmarks.md} (scores, errors, ratios against each baseline of the same
 * class, the targets with PASS/MISS, the machine, JDK and date) and one SVG chart per benchmark class, plus the
 * thread-scaling sections ({@link Scaling}) from a second result file where there is one. Plain Java, no network, no
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
        List<Result> scaling = scaled ? read(scalingJson) : List.of();
        String md = render(results, scaling, measured, Machine.of(json), mode, markdown, charts);
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

    static String render(List<Result> results, List<Result> scaling, Instant measured, String machine, String mode,
                         Path markdown, Path charts) throws IOException {
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
        b.append("Reproduce (from the repository root; the full suite takes about 17 minutes on 2 cores;"
                + " `-Pbench,quick` gives a first look in about 10):\n\n```sh\n"
                + "./mvnw -q install -DskipTests && ./mvnw -q -f jmh/pom.xml -Pbench package\n```\n\n"
                + "The thread-scaling sections at the end come from their own run (`-Pbench,scaling`, below).\n\n");
        b.append("Run configuration: ").append(configurations(byClass)).append(". Errors are JMH's 99.9%"
                + " confidence half-intervals (NaN where there was one measurement iteration). Ratios compare point"
                + " estimates within one run, in one JVM build, on a machine whose two cores other processes may"
                + " have shared.\n\n");

        b.append("## Targets\n\n");
        b.append(TargetsTable.render(results, scaling));

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
            List<BarChart> cs = Charts.charts(cls, s, rs);
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

    /** Methods of a class: ours first (in result order), then the baselines. */
    static List<String> methods(List<Result> rs) {
        LinkedHashSet<String> ours = new LinkedHashSet<>();
        LinkedHashSet<String> theirs = new LinkedHashSet<>();
        for (Result r : rs) {
            (r.isBaseline() ? theirs : ours).add(r.method());
        }
        List<String> all = new ArrayList<>(ours);
        all.addAll(theirs);
        return all;
    }

    static List<String> paramNames(List<Result> rs) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (Result r : rs) {
            names.addAll(r.params().keySet());
        }
        return new ArrayList<>(names);
    }

    static Comparator<String> numericFirst() {
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
    static double[] throughput(Result r) {
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
}
