package dev.hardmem.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The machine the report is made on (the same one the benchmarks ran on, when run by the {@code bench} profile). */
final class Machine {
    private Machine() {
    }

    /** {@return e.g. "Intel(R) Xeon(R) Processor @ 2.50GHz, 2 logical CPUs, 23.5 GiB RAM, Linux 6.1.0 (x86_64)"} */
    static String describe() {
        String cpu = "unknown CPU";
        int cpus = 0;
        for (String line : lines("/proc/cpuinfo")) {
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
        for (String line : lines("/proc/meminfo")) {
            if (line.startsWith("MemTotal:")) {
                long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                mem = String.format(Locale.ROOT, ", %.1f GiB RAM", kib / 1024.0 / 1024.0);
            }
        }
        List<String> maps = lines("/proc/sys/vm/max_map_count");
        return cpu + ", " + cpus + " logical CPUs" + mem + ", " + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + " (" + System.getProperty("os.arch") + ")"
                + (maps.isEmpty() ? "" : ", vm.max_map_count " + maps.get(0).trim());
    }

    private static List<String> lines(String file) {
        try {
            return Files.readAllLines(Path.of(file));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
