package dev.hardmem.bench.report;

import dev.hardmem.bench.report.Report.Result;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The "Thread scaling" section of the report: {@code AllocateWipeFreeBenchmark} run at 1, 2, 4 … threads (JMH
 * {@code -t}, one run per count, by the {@code scaling} profile) into its own result file. One table per thread count
 * and size: the time per operation on each thread, the throughput of all threads together, the ratio to
 * {@code Arena.ofConfined()} at the same thread count and size, and the target. One line chart per size:
 * throughput against threads.
 */
final class Scaling {
    private static final String CLS = "AllocateWipeFreeBenchmark";
    private static final String BASE = "baselineArena";
    /** The size the targets are stated at. */
    private static final String TARGET_SIZE = "32";
    /** The largest thread count the targets are stated for. */
    private static final int TARGET_THREADS = 16;

    /** The paths in table order, each with what it is. Methods not named here follow, in result order. */
    private static final Map<String, String> PATHS = new LinkedHashMap<>();

    static {
        PATHS.put("baselineArena", "`Arena.ofConfined()`");
        PATHS.put("baselineSharedArena", "`Arena.ofShared()`");
        PATHS.put("slab", "slab tier (`GuardedAllocator.shared()`, `Tier.SLAB`)");
        PATHS.put("secretArenaDefault", "`SecretArena.ofConfined()`");
        PATHS.put("secretArenaUnguarded", "`SecretArena.ofConfinedUnguarded()`");
        PATHS.put("isolated", "isolated tier, no access protection (`Tier.ISOLATED`)");
        PATHS.put("secretRandom", "`Secret.random` + `close`");
        PATHS.put("secretArenaShared", "`SecretArena.ofShared()`");
        PATHS.put("secretArenaSharedUnguarded", "`SecretArena.ofSharedUnguarded()`");
        PATHS.put("baselineSodium", "`sodium_malloc` + `sodium_free`");
    }

    /** Per-operation cost against {@code Arena.ofConfined()} at the same thread count: at 1 thread, and above. */
    private record Target(double one, double many) {
        double at(int threads) {
            return threads <= 1 ? one : many;
        }
    }

    private static final Map<String, Target> TARGETS = Map.of(
            "slab", new Target(1.3, 1.5),
            "secretArenaDefault", new Target(1.5, 2),
            "secretArenaUnguarded", new Target(1.3, 1.5),
            "isolated", new Target(3, 4),
            "secretRandom", new Target(2, 2.5));

    private Scaling() {
    }

    /**
     * {@return the section in Markdown} Charts go to {@code charts}; {@code rs} are the results of the scaling run
     * (empty if there was none), measured at {@code measured} on {@code machine}.
     */
    static String section(List<Result> rs, Instant measured, String machine, Path markdown, Path charts)
            throws IOException {
        StringBuilder b = new StringBuilder("\n## Thread scaling (`" + CLS + "`)\n\n");
        b.append("Allocate + fill + wipe + free, as in the section above, on 1, 2, 4 … threads at once (JMH `-t`)."
                + " Each thread has its own states, so the threads share only what the paths share: the default"
                + " guarded allocator and its tiers, the C heap, the kernel. *ns/op per thread* is the time one"
                + " operation takes on each thread; *ops/s, all threads* is threads × 10⁹ / (ns/op). Every path is"
                + " compared with `Arena.ofConfined()` at the same thread count. The targets, at ").append(
                Format.bytes(TARGET_SIZE)).append(" up to ").append(TARGET_THREADS).append(" threads, are limits on"
                + " that ratio, one at 1 thread and a looser one above. A target is met (**PASS**) only when the"
                + " whole range that the error bars of both scores allow is below its limit; *within error* means"
                + " the point estimate meets it but the range reaches past it; **MISS** means the point estimate"
                + " misses it.\n\n");
        b.append("Run it (1 and 2 threads by default; `-Dbench.threads=1,2,4,8,16` on a machine with 16 cores):\n\n"
                + "```sh\n./mvnw -q install -DskipTests && ./mvnw -q -f jmh/pom.xml -Pbench,scaling package\n```\n\n");
        List<Result> avgt = rs.stream().filter(r -> r.cls().equals(CLS) && r.mode().equals("avgt")).toList();
        if (avgt.isEmpty()) {
            b.append("Not measured in this run: the report reads `jmh/target/jmh-scaling.json` where that command"
                    + " has written it.\n");
            return b.toString();
        }
        TreeSet<Integer> threads = new TreeSet<>();
        TreeMap<Long, List<Result>> bySize = new TreeMap<>();
        for (Result r : avgt) {
            threads.add(threads(r));
            bySize.computeIfAbsent(Long.parseLong(r.param("size")), k -> new ArrayList<>()).add(r);
        }
        b.append("Measured ").append(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
                .format(measured.atOffset(ZoneOffset.UTC))).append(" on ").append(machine).append(", JDK ")
                .append(avgt.get(0).raw().get("jdkVersion")).append(", at ").append(join(threads))
                .append(threads.size() == 1 && threads.first() == 1 ? " thread" : " threads").append("; ")
                .append(configuration(avgt.get(0))).append('.');
        int cpus = cpus(machine);
        if (cpus > 0 && threads.last() > cpus) {
            b.append(" Thread counts above this machine's ").append(cpus).append(" logical CPUs measure threads"
                    + " taking turns, not scaling.");
        }
        b.append("\n\n");

        Path chartDir = charts.toAbsolutePath();
        Files.createDirectories(chartDir);
        Path mdDir = markdown.toAbsolutePath().getParent();
        int[] tally = new int[4];
        for (Map.Entry<Long, List<Result>> e : bySize.entrySet()) {
            String size = Format.bytes(String.valueOf(e.getKey()));
            List<String> methods = methods(e.getValue());
            LineChart chart = chart(size, methods, List.copyOf(threads), e.getValue());
            String file = CLS + "-threads-" + e.getKey() + ".svg";
            Files.writeString(chartDir.resolve(file), chart.svg(), StandardCharsets.UTF_8);
            String rel = mdDir.relativize(chartDir.resolve(file)).toString().replace('\\', '/');
            b.append("![").append(Svg.esc(chart.title())).append("](").append(rel).append(")\n\n");
            for (int t : threads) {
                b.append("### ").append(size).append(", ").append(t).append(t == 1 ? " thread" : " threads")
                        .append("\n\n");
                b.append(table(e.getValue(), methods, t, String.valueOf(e.getKey()), tally));
            }
        }
        b.append("Targets in this run: ").append(tally[0]).append(" PASS, ").append(tally[1]).append(" within error, ")
                .append(tally[2]).append(" MISS").append(tally[3] > 0 ? ", " + tally[3] + " not measured" : "")
                .append(".\n");
        return b.toString();
    }

    private static String table(List<Result> rs, List<String> methods, int t, String size, int[] tally) {
        Result base = find(rs, BASE, t);
        StringBuilder b = new StringBuilder();
        b.append("| Path | Method | ns/op per thread | ± Error | ops/s, all threads | vs `Arena.ofConfined()` |"
                + " Range | Target | Result |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n");
        for (String m : methods) {
            Result r = find(rs, m, t);
            Target target = size.equals(TARGET_SIZE) && t <= TARGET_THREADS ? TARGETS.get(m) : null;
            b.append("| ").append(PATHS.getOrDefault(m, "")).append(" | `").append(m).append("` | ");
            if (r == null) {
                b.append("— | — | — | — | — | ")
                        .append(target == null ? "—" : "≤ " + Format.ratio(target.at(t))).append(" | ")
                        .append(m.contains("Sodium") ? Report.SODIUM_MISSING : "not measured").append(" |\n");
                if (target != null) {
                    tally[3]++;
                }
                continue;
            }
            double ns = nanos(r);
            double err = nanos(r, r.error());
            b.append(Format.number(ns)).append(" | ").append(Double.isNaN(err) ? "NaN" : Format.number(err))
                    .append(" | ").append(Format.group(t * 1e9 / ns)).append(" | ");
            if (base == null || m.equals(BASE)) {
                b.append(m.equals(BASE) ? "—" : "no baseline").append(" | — | ");
            } else {
                double[] q = ratio(r, base);
                boolean bars = !Double.isNaN(r.error()) && !Double.isNaN(base.error());
                b.append(Format.ratio(q[0])).append(" | ").append(bars ? TargetsTable.range(q[1], q[2]) : "—")
                        .append(" | ");
            }
            if (target == null) {
                b.append("— | — |\n");
                continue;
            }
            double bound = target.at(t);
            b.append("≤ ").append(Format.ratio(bound)).append(" | ");
            if (base == null) {
                b.append("not measured: no `").append(BASE).append("` at this thread count |\n");
                tally[3]++;
                continue;
            }
            double[] q = ratio(r, base);
            if (q[0] > bound) {
                b.append("**MISS** by ").append(Format.ratio(q[0] / bound)).append(q[1] <= bound
                        ? " (within the error bars)" : "");
                tally[2]++;
            } else if (Double.isNaN(r.error()) || Double.isNaN(base.error())) {
                b.append("*within error*: no error bars (one measurement iteration)");
                tally[1]++;
            } else if (q[2] > bound) {
                b.append("*within error*: ").append(Double.isInfinite(q[2]) ? "the range is unbounded"
                        : "the range reaches " + Format.ratio(q[2]));
                tally[1]++;
            } else {
                b.append("**PASS**");
                tally[0]++;
            }
            b.append(" |\n");
        }
        return b.append('\n').toString();
    }

    /**
     * {@return {ratio, low, high} of {@code r}'s time to {@code base}'s} The range is what the error bars of both
     * allow; a NaN error counts as none.
     */
    private static double[] ratio(Result r, Result base) {
        double te = nz(r.error());
        double be = nz(base.error());
        double lo = (r.score() - te) / (base.score() + be);
        double hi = base.score() - be > 0 ? (r.score() + te) / (base.score() - be) : Double.POSITIVE_INFINITY;
        return new double[]{r.score() / base.score(), lo, hi};
    }

    /** {@return throughput of all threads against threads, one line per method} */
    private static LineChart chart(String size, List<String> methods, List<Integer> threads, List<Result> rs) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        List<double[][]> series = new ArrayList<>();
        for (String m : methods) {
            double[][] v = new double[3][threads.size()];
            for (int i = 0; i < threads.size(); i++) {
                int t = threads.get(i);
                Result r = find(rs, m, t);
                if (r == null) {
                    v[0][i] = v[1][i] = v[2][i] = Double.NaN;
                    continue;
                }
                double ns = nanos(r);
                double err = nz(nanos(r, r.error()));
                v[0][i] = t * 1e9 / ns;
                v[1][i] = t * 1e9 / (ns + err);
                v[2][i] = ns - err > 0 ? t * 1e9 / (ns - err) : Double.POSITIVE_INFINITY;
                lo = Math.min(lo, v[0][i]);
                hi = Math.max(hi, v[0][i]);
            }
            series.add(v);
        }
        LineChart c = new LineChart("Allocate + fill + wipe + free, " + size + ": throughput by threads",
                "operations per second, all threads together", "threads", hi / lo > 8, threads);
        for (int i = 0; i < methods.size(); i++) {
            double[][] v = series.get(i);
            c.series(methods.get(i), methods.get(i).startsWith("baseline"), v[0], v[1], v[2]);
        }
        return c;
    }

    private static List<String> methods(List<Result> rs) {
        List<String> out = new ArrayList<>();
        for (String m : PATHS.keySet()) {
            if (m.contains("Sodium") || rs.stream().anyMatch(r -> r.method().equals(m))) {
                out.add(m);
            }
        }
        for (Result r : rs) {
            if (!out.contains(r.method())) {
                out.add(r.method());
            }
        }
        return out;
    }

    private static Result find(List<Result> rs, String method, int threads) {
        for (Result r : rs) {
            if (r.method().equals(method) && threads(r) == threads) {
                return r;
            }
        }
        return null;
    }

    private static int threads(Result r) {
        return (int) Json.number(r.raw().get("threads"));
    }

    private static double nanos(Result r) {
        return nanos(r, r.score());
    }

    private static double nanos(Result r, double v) {
        return Report.toNanos(v, r.unit());
    }

    private static double nz(double e) {
        return Double.isNaN(e) ? 0 : e;
    }

    private static String configuration(Result r) {
        Map<String, Object> raw = r.raw();
        int forks = (int) Json.number(raw.get("forks"));
        return String.format(Locale.ROOT, "warm-up %d × %s, measurement %d × %s, %d %s",
                (int) Json.number(raw.get("warmupIterations")), raw.get("warmupTime"),
                (int) Json.number(raw.get("measurementIterations")), raw.get("measurementTime"), forks,
                forks == 1 ? "fork" : "forks");
    }

    private static String join(TreeSet<Integer> threads) {
        List<String> parts = new ArrayList<>();
        for (int t : threads) {
            parts.add(String.valueOf(t));
        }
        return String.join(", ", parts);
    }

    /** {@return the number of logical CPUs a {@link Machine#describe()} line names, or 0} */
    private static int cpus(String machine) {
        Matcher m = Pattern.compile("(\\d+) logical CPUs").matcher(machine);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
}
