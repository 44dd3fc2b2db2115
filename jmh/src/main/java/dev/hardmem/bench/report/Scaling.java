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
 * The "Thread scaling" sections of the report, from their own result file: benchmarks run at 1, 2, 4 … threads
 * (JMH {@code -t}, one run per count, by the {@code scaling} profile). One section per class: for
 * {@code AllocateWipeFreeBenchmark}, each path against {@code Arena.ofConfined()} at the same thread count; for
 * {@code SealedReadBenchmark}, each path against itself at 1 thread. One table per thread count and size: the time
 * per operation on each thread, the throughput of all threads together, the ratio, and the target. One line chart
 * per size: throughput against threads.
 */
final class Scaling {
    /** The size the targets are stated at. */
    private static final String TARGET_SIZE = "32";
    /** The largest thread count the targets are stated for. */
    private static final int TARGET_THREADS = 16;

    /**
     * A limit on a path's ratio: at 1 thread, and above; NaN where there is none (a path compared with itself at 1
     * thread has no target there).
     */
    private record Target(double one, double many) {
        double at(int threads) {
            return threads <= 1 ? one : many;
        }
    }

    /**
     * One class's section: its heading and introduction, what each path is compared with ({@code base} at the same
     * thread count, or, where {@code base} is null, the path itself at 1 thread; {@code versus} heads that column),
     * the paths in table order, each with what it is (methods not named follow, in result order), the targets, and
     * the chart's title ({@code %s} is the size).
     */
    private record Spec(String cls, String intro, String base, String versus, Map<String, String> paths,
                        Map<String, Target> targets, String chartTitle) {
    }

    private static final Spec ALLOC;
    private static final Spec SEALED;

    static {
        Map<String, String> paths = new LinkedHashMap<>();
        paths.put("baselineArena", "`Arena.ofConfined()`");
        paths.put("baselineSharedArena", "`Arena.ofShared()`");
        paths.put("slab", "slab tier (`GuardedAllocator.shared()`, `Tier.SLAB`)");
        paths.put("secretArenaDefault", "`SecretArena.ofConfined()`");
        paths.put("secretArenaUnguarded", "`SecretArena.ofConfinedUnguarded()`");
        paths.put("isolated", "isolated tier, no access protection (`Tier.ISOLATED`)");
        paths.put("secretRandom", "`Secret.random` + `close`");
        paths.put("secretArenaShared", "`SecretArena.ofShared()`");
        paths.put("secretArenaSharedUnguarded", "`SecretArena.ofSharedUnguarded()`");
        paths.put("baselineSodium", "`sodium_malloc` + `sodium_free`");
        ALLOC = new Spec("AllocateWipeFreeBenchmark",
                "Allocate + fill + wipe + free, as in the section above, on 1, 2, 4 … threads at once (JMH `-t`)."
                        + " Each thread has its own states, so the threads share only what the paths share: the"
                        + " default guarded allocator and its tiers, the C heap, the kernel. *ns/op per thread* is"
                        + " the time one operation takes on each thread; *ops/s, all threads* is threads × 10⁹ /"
                        + " (ns/op). Every path is compared with `Arena.ofConfined()` at the same thread count. The"
                        + " targets, at " + Format.bytes(TARGET_SIZE) + " up to " + TARGET_THREADS + " threads, are"
                        + " limits on that ratio, one at 1 thread and a looser one above. A target is met (**PASS**)"
                        + " only when the whole range that the error bars of both scores allow is below its limit;"
                        + " *within error* means the point estimate meets it but the range reaches past it; **MISS**"
                        + " means the point estimate misses it.\n\n"
                        + "Run it (1 and 2 threads by default; `-Dbench.threads=1,2,4,8,16` on a machine with 16"
                        + " cores):\n\n```sh\n./mvnw -q install -DskipTests && ./mvnw -q -f jmh/pom.xml"
                        + " -Pbench,scaling package\n```\n\n",
                "baselineArena", "vs `Arena.ofConfined()`", paths,
                Map.of("slab", new Target(1.3, 1.5),
                        "secretArenaDefault", new Target(1.5, 2),
                        "secretArenaUnguarded", new Target(1.3, 1.5),
                        "isolated", new Target(3, 4),
                        "secretRandom", new Target(2, 2.5)),
                "Allocate + fill + wipe + free, %s: throughput by threads");

        Map<String, String> sealed = new LinkedHashMap<>();
        sealed.put("sealedCoffer", "`SealedSecret.read`, coffer mode");
        sealed.put("sealedShielded", "`SealedSecret.read`, shielded mode");
        sealed.put("sealedCofferWrite", "`SealedSecret.write`, coffer mode");
        sealed.put("baselineSecretRead", "`Secret.read`");
        sealed.put("aeadOpen", "XChaCha20-Poly1305 open alone (libsodium)");
        sealed.put("hash16KiB", "BLAKE2b of 16 KiB (`crypto_generichash`)");
        SEALED = new Spec("SealedReadBenchmark",
                "`SealedSecret.read`, `Secret.read` and libsodium's open alone, as in the section above, on 1, 2,"
                        + " 4 … threads at once, each thread with secrets of its own: the threads share the process"
                        + " keys, the scratch slots' allocator, libsodium and the kernel. Every path is compared"
                        + " with itself at 1 thread: above 1×, each operation takes longer because other threads run"
                        + " beside it; `aeadOpen`, which shares nothing but libsodium's code, shows what the machine"
                        + " alone does to that ratio. The target: coffer mode within 1.5× of its 1-thread time at"
                        + " every thread count, with the same PASS / *within error* / MISS rule as the section"
                        + " above, and measured by the same run.\n\n",
                null, "vs 1 thread", sealed,
                Map.of("sealedCoffer", new Target(Double.NaN, 1.5)),
                "SealedSecret.read, %s: throughput by threads");
    }

    private Scaling() {
    }

    /**
     * {@return the sections in Markdown} Charts go to {@code charts}; {@code rs} are the results of the scaling run
     * (empty if there was none), measured at {@code measured} on {@code machine}.
     */
    static String section(List<Result> rs, Instant measured, String machine, Path markdown, Path charts)
            throws IOException {
        return section(ALLOC, rs, measured, machine, markdown, charts)
                + section(SEALED, rs, measured, machine, markdown, charts);
    }

    private static String section(Spec spec, List<Result> all, Instant measured, String machine, Path markdown,
                                  Path charts) throws IOException {
        StringBuilder b = new StringBuilder("\n## Thread scaling (`" + spec.cls() + "`)\n\n");
        b.append(spec.intro());
        List<Result> avgt = all.stream().filter(r -> r.cls().equals(spec.cls()) && r.mode().equals("avgt"))
                .toList();
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
            List<String> methods = methods(spec, e.getValue());
            LineChart chart = chart(spec.chartTitle().formatted(size), methods, List.copyOf(threads), e.getValue());
            String file = spec.cls() + "-threads-" + e.getKey() + ".svg";
            Files.writeString(chartDir.resolve(file), chart.svg(), StandardCharsets.UTF_8);
            String rel = mdDir.relativize(chartDir.resolve(file)).toString().replace('\\', '/');
            b.append("![").append(Svg.esc(chart.title())).append("](").append(rel).append(")\n\n");
            for (int t : threads) {
                b.append("### ").append(size).append(", ").append(t).append(t == 1 ? " thread" : " threads")
                        .append("\n\n");
                b.append(table(spec, e.getValue(), methods, t, String.valueOf(e.getKey()), tally));
            }
        }
        b.append("Targets in this run: ").append(tally[0]).append(" PASS, ").append(tally[1]).append(" within error, ")
                .append(tally[2]).append(" MISS").append(tally[3] > 0 ? ", " + tally[3] + " not measured" : "")
                .append(".\n");
        return b.toString();
    }

    private static String table(Spec spec, List<Result> rs, List<String> methods, int t, String size,
                                int[] tally) {
        StringBuilder b = new StringBuilder();
        b.append("| Path | Method | ns/op per thread | ± Error | ops/s, all threads | ").append(spec.versus())
                .append(" | Range | Target | Result |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n");
        for (String m : methods) {
            Result r = find(rs, m, t);
            Result base = spec.base() != null ? find(rs, spec.base(), t) : find(rs, m, 1);
            Target target = size.equals(TARGET_SIZE) && t <= TARGET_THREADS ? spec.targets().get(m) : null;
            double bound = target == null ? Double.NaN : target.at(t);
            b.append("| ").append(spec.paths().getOrDefault(m, "")).append(" | `").append(m).append("` | ");
            if (r == null) {
                b.append("— | — | — | — | — | ")
                        .append(Double.isNaN(bound) ? "—" : "≤ " + Format.ratio(bound)).append(" | ")
                        .append(m.contains("Sodium") ? Report.SODIUM_MISSING : "not measured").append(" |\n");
                if (!Double.isNaN(bound)) {
                    tally[3]++;
                }
                continue;
            }
            double ns = nanos(r);
            double err = nanos(r, r.error());
            b.append(Format.number(ns)).append(" | ").append(Double.isNaN(err) ? "NaN" : Format.number(err))
                    .append(" | ").append(Format.group(t * 1e9 / ns)).append(" | ");
            if (base == null || base == r) {
                b.append(base == r ? "—" : "no baseline").append(" | — | ");
            } else {
                double[] q = ratio(r, base);
                boolean bars = !Double.isNaN(r.error()) && !Double.isNaN(base.error());
                b.append(Format.ratio(q[0])).append(" | ").append(bars ? TargetsTable.range(q[1], q[2]) : "—")
                        .append(" | ");
            }
            if (Double.isNaN(bound)) {
                b.append("— | — |\n");
                continue;
            }
            b.append("≤ ").append(Format.ratio(bound)).append(" | ");
            if (base == null) {
                b.append("not measured: ").append(spec.base() != null ? "no `" + spec.base() + "` at this thread count"
                        : "no result at 1 thread").append(" |\n");
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
    static double[] ratio(Result r, Result base) {
        double te = nz(r.error());
        double be = nz(base.error());
        double lo = (r.score() - te) / (base.score() + be);
        double hi = base.score() - be > 0 ? (r.score() + te) / (base.score() - be) : Double.POSITIVE_INFINITY;
        return new double[]{r.score() / base.score(), lo, hi};
    }

    /** {@return throughput of all threads against threads, one line per method} */
    private static LineChart chart(String title, List<String> methods, List<Integer> threads, List<Result> rs) {
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
        LineChart c = new LineChart(title,
                "operations per second, all threads together", "threads", hi / lo > 8, threads);
        for (int i = 0; i < methods.size(); i++) {
            double[][] v = series.get(i);
            c.series(methods.get(i), methods.get(i).startsWith("baseline"), v[0], v[1], v[2]);
        }
        return c;
    }

    private static List<String> methods(Spec spec, List<Result> rs) {
        List<String> out = new ArrayList<>();
        for (String m : spec.paths().keySet()) {
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

    static int threads(Result r) {
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
