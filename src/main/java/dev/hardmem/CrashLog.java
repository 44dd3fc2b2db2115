package dev.hardmem;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.hardmem.internal.os.Proc;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Where HotSpot writes its fatal error log (the {@code hs_err} file), read from the JVM's own options: the
 * {@code ErrorFileToStderr} and {@code ErrorFileToStdout} switches, then the {@code ErrorFile} pattern, whose
 * {@code %p} is the process id and {@code %%} a percent sign, relative to the working directory. Without a
 * pattern, the file is {@code hs_err_pid%p.log} in the working directory.
 */
final class CrashLog {
    static final String STDOUT = "stdout";
    static final String STDERR = "stderr";

    private CrashLog() {
    }

    static String where() {
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        if (vm == null) {
            throw new UnsupportedOperationException("this JVM (" + System.getProperty("java.vm.name")
                    + ") does not report its crash log options; hardmem reads them from HotSpot");
        }
        // The order HotSpot applies them in when it dies.
        if (vm.getVMOption("ErrorFileToStderr").getValue().equals("true")) {
            return STDERR;
        }
        if (vm.getVMOption("ErrorFileToStdout").getValue().equals("true")) {
            return STDOUT;
        }
        String pattern = vm.getVMOption("ErrorFile").getValue();
        return Path.of("").toAbsolutePath().resolve(expand(pattern.isEmpty() ? "hs_err_pid%p.log" : pattern))
                .toString();
    }

    private static String expand(String pattern) {
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '%' && i + 1 < pattern.length() && pattern.charAt(i + 1) == 'p') {
                name.append(ProcessHandle.current().pid());
                i++;
            } else if (c == '%' && i + 1 < pattern.length() && pattern.charAt(i + 1) == '%') {
                name.append('%');
                i++;
            } else {
                name.append(c);
            }
        }
        return name.toString();
    }

    /**
     * {@return whether {@code log} is a file in a directory that this process's user owns and no one else may
     * enter or list} A directory that does not exist is not private: HotSpot falls back to the working directory.
     */
    static boolean isPrivate(String log) {
        if (log.equals(STDOUT) || log.equals(STDERR)) {
            return false;
        }
        Path dir = Path.of(log).getParent();
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
            Object owner = Files.getAttribute(dir, "unix:uid");
            return owner instanceof Integer uid && uid == Proc.effectiveUid()
                    && perms.stream().allMatch(p -> p.name().startsWith("OWNER_"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
