package dev.hardmem.bench;

import dev.hardmem.bench.report.Machine;
import dev.hardmem.crypto.AeadAlgorithm;
import dev.hardmem.sealed.SealedSecret;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The main class of {@code benchmarks.jar}: JMH's own command line, plus a check that every selected benchmark, with
 * every combination of its parameters, produced a result. JMH itself reports a benchmark that throws, then goes on
 * and exits 0; this exits 1 instead, so the smoke run in CI proves that every benchmark runs.
 *
 * <p>One addition to JMH's options: {@code -t} also takes a list of thread counts ({@code -t 1,2,4,8,16}), which
 * runs the selected benchmarks once per count, in that order, into one result file: JMH itself runs one count per
 * invocation. The result file is rewritten after each count, so it holds every count finished so far. Beside it,
 * {@code <result>.machine.txt} records the machine that ran the benchmarks, for the report.
 *
 * <p>Some absences are expected and reported, not failed ({@link #absence}): the libsodium baselines and hardmem's
 * native crypto and sealed secrets where libsodium is missing ({@code apt-get install libsodium23}), native
 * AES-256-GCM where the CPU lacks what libsodium needs for it, and the JDK's HKDF before JDK 25.
 */
public final class Suite {
    private Suite() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> threads = new ArrayList<>();
        args = threadList(args, threads);
        CommandLineOptions options = new CommandLineOptions(args);
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
                || options.shouldListProfilers() || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        String resultFile = null;
        if (options.getResultFormat().hasValue()) {
            resultFile = options.getResult().orElse("jmh-result."
                    + options.getResultFormat().get().toString().toLowerCase(Locale.ROOT));
            Machine.record(Path.of(resultFile));
        }
        List<RunResult> results = new ArrayList<>();
        if (threads.isEmpty()) {
            results.addAll(new Runner(options).run());
        } else {
            for (int t : threads) {
                Options one = new OptionsBuilder().parent(options).threads(t).build();
                results.addAll(new Runner(one).run());
                if (resultFile != null) {
                    // JMH has just written this count alone; put the earlier counts back beside it.
                    ResultFormatFactory.getInstance(options.getResultFormat().get(), resultFile).writeOut(results);
                }
            }
        }

        Map<String, Set<String>> got = new HashMap<>();
        for (RunResult r : results) {
            var p = r.getParams();
            StringBuilder key = new StringBuilder(p.getMode().shortLabel()).append(" t=").append(p.getThreads());
            for (String k : new TreeMap<String, String>(paramMap(p)).keySet()) {
                key.append(' ').append(k).append('=').append(p.getParam(k));
            }
            got.computeIfAbsent(p.getBenchmark(), b -> new HashSet<>()).add(key.toString());
        }

        OutputFormat silent = OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT);
        List<String> includes = options.getIncludes().isEmpty() ? List.of(".*") : options.getIncludes();
        Map<String, Integer> expected = new TreeMap<>();
        Map<String, Integer> expectedWithoutAes = new TreeMap<>();
        for (BenchmarkListEntry e : BenchmarkList.defaultList().find(silent, includes, options.getExcludes())) {
            int combinations = 1;
            int withoutAes = 1;
            if (e.getParams().hasValue()) {
                for (Map.Entry<String, String[]> param : e.getParams().get().entrySet()) {
                    var override = options.getParameter(param.getKey());
                    Collection<String> values = override.hasValue() ? override.get() : List.of(param.getValue());
                    combinations *= values.size();
                    withoutAes *= param.getKey().equals("algorithm")
                            ? (int) values.stream().filter(v -> !v.equals(AES)).count() : values.size();
                }
            }
            int modes = options.getBenchModes().isEmpty() ? 1 : options.getBenchModes().size();
            int factor = modes * Math.max(1, threads.size());
            expected.merge(e.getUsername(), combinations * factor, Math::max);
            expectedWithoutAes.merge(e.getUsername(), withoutAes * factor, Math::max);
        }

        List<String> failed = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            int n = got.getOrDefault(e.getKey(), Set.of()).size();
            if (n >= e.getValue()) {
                continue;
            }
            String what = e.getKey() + " (" + n + " of " + e.getValue() + " parameter combinations"
                    + (threads.isEmpty() ? "" : " × thread counts") + " ran)";
            String why = absence(e.getKey(), n >= expectedWithoutAes.get(e.getKey()));
            if (why != null) {
                skipped.add(what + ": " + why);
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

    /** hardmem's own native crypto, which needs libsodium: {@code Class.method}. */
    private static final Set<String> NATIVE_CRYPTO = Set.of("AeadSealBenchmark.hardmemNative",
            "AeadOpenBenchmark.hardmemNative", "HkdfBenchmark.hardmemDerive", "HkdfBenchmark.hardmemDeriveInto",
            "Argon2idBenchmark.hardmemDeriveKey");

    /** libsodium called directly by the benchmarks, as the floor of what hardmem builds on it: {@code Class.method}. */
    private static final Set<String> SODIUM_FLOORS = Set.of("SealedReadBenchmark.aeadOpen",
            "SealedReadBenchmark.hash16KiB");

    private static final String AES = AeadAlgorithm.AES_256_GCM.name();

    /**
     * {@return why {@code benchmark} (a full name) cannot run completely on this machine, or null if it can}
     * {@code allButAes} tells whether every combination of its parameters ran but those with AES-256-GCM.
     */
    private static String absence(String benchmark, boolean allButAes) {
        String[] parts = benchmark.split("\\.");
        String name = parts[parts.length - 2] + "." + parts[parts.length - 1];
        if ((name.contains("Sodium") || SODIUM_FLOORS.contains(name)) && !Native.Sodium.available()) {
            return Native.SODIUM_MISSING;
        }
        if (name.startsWith("Sealed") && !name.endsWith(".baselineSecretRead") && !SealedSecret.isAvailable()) {
            return "sealed secrets skipped: libsodium was not found on this machine; apt-get install libsodium23"
                    + " (Debian/Ubuntu) to run them";
        }
        if (NATIVE_CRYPTO.contains(name)) {
            if (!AeadAlgorithm.XCHACHA20_POLY1305.isAvailable()) {
                return "hardmem's native crypto skipped: libsodium was not found on this machine; apt-get install"
                        + " libsodium23 (Debian/Ubuntu) to run it";
            }
            if (allButAes && !AeadAlgorithm.AES_256_GCM.isAvailable()) {
                return "native AES-256-GCM skipped: this CPU lacks the instructions libsodium's AES-256-GCM needs";
            }
        }
        if (name.equals("HkdfBenchmark.baselineJdkKdf")
                && Runtime.version().feature() < HkdfBenchmark.JdkHkdf.FEATURE) {
            return "JDK HKDF baseline skipped: javax.crypto.KDF needs JDK " + HkdfBenchmark.JdkHkdf.FEATURE
                    + "; this is JDK " + Runtime.version().feature();
        }
        return null;
    }

    /**
     * {@return {@code args} without a {@code -t} whose value is a list ({@code 1,2,4}), whose counts go to
     * {@code threads}} A single count, or no {@code -t}, is left to JMH and leaves {@code threads} empty.
     */
    private static String[] threadList(String[] args, List<Integer> threads) {
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-t") && i + 1 < args.length && args[i + 1].contains(",")) {
                for (String t : args[++i].split(",")) {
                    t = t.strip();
                    if (t.isEmpty()) {
                        continue;
                    }
                    int n;
                    try {
                        n = t.equals("max") ? Threads.MAX : Integer.parseInt(t);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("-t " + args[i] + ": not a thread count: " + t, e);
                    }
                    if (!threads.contains(n)) {
                        threads.add(n);
                    }
                }
            } else {
                rest.add(args[i]);
            }
        }
        return rest.toArray(String[]::new);
    }

    private static Map<String, String> paramMap(org.openjdk.jmh.infra.BenchmarkParams p) {
        Map<String, String> m = new HashMap<>();
        for (String k : p.getParamsKeys()) {
            m.put(k, p.getParam(k));
        }
        return m;
    }
}
