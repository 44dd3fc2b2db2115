package dev.hardmem.bench.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The machine the benchmarks ran on. {@link dev.hardmem.bench.Suite} records it beside its result file
 * ({@code jmh-result.json} → {@code jmh-result.machine.txt}), so that a result measured on one machine (a 16-core
 * box for thread scaling) and reported on another still names the machine that measured it.
 */
public final class Machine {
    private Machine() {
    }

    /** {@return e.g. "Intel(R) Xeon(R) Processor @ 2.50GHz, 2 logical CPUs, 23.5 GiB RAM, Linux 6.1.0 (x86_64)"} */
    public static String describe() {
        String cpu = "unknown CPU";
        int cpus = 0;
        for (String line : lines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name") && cpu.equals("unknown CPU")) {
                cpu = line.substring(line.indexOf(':') + 1).trim();
            }
            if (line.startsWith("processor")) {
                cpus++;
            }
        }
        if (cpus == 0) {
            cpus = Runtime.getRuntime().availableProcessors();
        }
        String mem = "";
        for (String line : lines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                mem = String.format(Locale.ROOT, ", %.1f GiB RAM", kib / 1024.0 / 1024.0);
            }
        }
        List<String> maps = lines(Path.of("/proc/sys/vm/max_map_count"));
        return cpu + ", " + cpus + " logical CPUs" + mem + ", " + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + " (" + System.getProperty("os.arch") + ")"
                + (maps.isEmpty() ? "" : ", vm.max_map_count " + maps.get(0).trim());
    }

    /** Writes {@link #describe()} beside {@code result}, and when it was measured (git keeps no file times). */
    public static void record(Path result) {
        try {
            Files.writeString(beside(result), describe() + "\nmeasured " + Instant.now() + "\n",
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@return the machine recorded beside {@code result}, or this machine if none was} */
    static String of(Path result) {
        List<String> recorded = lines(beside(result));
        return recorded.isEmpty() || recorded.get(0).isBlank() ? describe() : recorded.get(0).strip();
    }

    /** {@return when {@code result} was measured: as recorded beside it, else the file's last modification} */
    static Instant measured(Path result) throws IOException {
        for (String line : lines(beside(result))) {
            if (line.startsWith("measured ")) {
                return Instant.parse(line.substring("measured ".length()).strip());
            }
        }
        return Files.getLastModifiedTime(result).toInstant();
    }

    private static Path beside(Path result) {
        String name = result.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return result.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".machine.txt");
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
