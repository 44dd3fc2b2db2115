package dev.hardmem.bench.report;

import dev.hardmem.bench.report.Report.Result;
import dev.hardmem.bench.report.Sections.Section;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.hardmem.bench.report.Format.bytes;
import static dev.hardmem.bench.report.Format.display;
import static dev.hardmem.bench.report.Format.group;
import static dev.hardmem.bench.report.Sections.LIVE;
import static dev.hardmem.bench.report.Sections.THROUGHPUT;

/** The bar charts of one benchmark class: bars grouped by a parameter, one series per method. */
final class Charts {
    private Charts() {
    }

    /** {@return the charts of benchmark class {@code cls}, in section {@code s}: one, or two for live secrets} */
    static List<BarChart> charts(String cls, Section s, List<Result> rs) {
        List<String> methods = Report.methods(rs);
        List<String> names = Report.paramNames(rs);
        names.remove("batchBytes");
        String groupBy = s.groupBy() != null && names.contains(s.groupBy()) ? s.groupBy() : null;
        TreeMap<String, List<Result>> groups = new TreeMap<>(groupBy != null ? Report.numericFirst()
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
                        double[] w = Report.throughput(r);
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
}
