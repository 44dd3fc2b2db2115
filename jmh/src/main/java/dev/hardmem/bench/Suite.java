package dev.hardmem.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The main class of {@code benchmarks.jar}: JMH's own command line, plus a check that every selected benchmark, with
 * every combination of its parameters, produced a result. JMH itself reports a benchmark that throws, then goes on
 * and exits 0; this exits 1 instead, so the smoke run in CI proves that every benchmark runs.
 *
 * <p>One absence is expected and reported, not failed: the libsodium baselines where libsodium is missing
 * ({@code apt-get install libsodium23}).
 */
public final class Suite {
    private Suite() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions options = new CommandLineOptions(args);
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
                || options.shouldListProfilers() || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        Collection<RunResult> results = new Runner(options).run();

        Map<String, Set<String>> got = new HashMap<>();
        for (RunResult r : results) {
            var p = r.getParams();
            StringBuilder key = new StringBuilder(p.getMode().shortLabel());
            for (String k : new TreeMap<String, String>(paramMap(p)).keySet()) {
                key.append(' ').append(k).append('=').append(p.getParam(k));
            }
            got.computeIfAbsent(p.getBenchmark(), b -> new HashSet<>()).add(key.toString());
        }

        OutputFormat silent = OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT);
        List<String> includes = options.getIncludes().isEmpty() ? List.of(".*") : options.getIncludes();
        Map<String, Integer> expected = new TreeMap<>();
        for (BenchmarkListEntry e : BenchmarkList.defaultList().find(silent, includes, options.getExcludes())) {
            int combinations = 1;
            if (e.getParams().hasValue()) {
                for (Map.Entry<String, String[]> param : e.getParams().get().entrySet()) {
                    var override = options.getParameter(param.getKey());
                    combinations *= override.hasValue() ? override.get().size() : param.getValue().length;
                }
            }
            int modes = options.getBenchModes().isEmpty() ? 1 : options.getBenchModes().size();
            expected.merge(e.getUsername(), combinations * modes, Math::max);
        }

        List<String> failed = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            int n = got.getOrDefault(e.getKey(), Set.of()).size();
            if (n >= e.getValue()) {
                continue;
            }
            String what = e.getKey() + " (" + n + " of " + e.getValue() + " parameter combinations ran)";
            if (e.getKey().contains("Sodium") && !Native.Sodium.available()) {
                skipped.add(what + ": " + Native.SODIUM_MISSING);
            } else {
                failed.add(what);
            }
        }
        System.out.println();
        System.out.println("hardmem-benchmarks: " + (expected.size() - failed.size() - skipped.size()) + " of "
                + expected.size() + " benchmarks ran completely.");
        for (String s : skipped) {
            System.out.println("  skipped: " + s);
        }
        for (String f : failed) {
            System.out.println("  FAILED:  " + f);
        }
        if (!failed.isEmpty()) {
            System.out.println("hardmem-benchmarks: " + failed.size()
                    + " benchmark(s) failed; see their errors above.");
            System.exit(1);
        }
    }

    private static Map<String, String> paramMap(org.openjdk.jmh.infra.BenchmarkParams p) {
        Map<String, String> m = new HashMap<>();
        for (String k : p.getParamsKeys()) {
            m.put(k, p.getParam(k));
        }
        return m;
    }
}
