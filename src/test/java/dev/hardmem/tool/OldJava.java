package dev.hardmem.tool;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Java runtime older than 22 installed on this machine (the {@code java} on the path, or one under
 * {@code /usr/lib/jvm}), found by the {@code JAVA_VERSION} line of its {@code release} file.
 *
 * @param binary  its {@code bin/java}
 * @param home    its home directory, symbolic links resolved
 * @param version its {@code JAVA_VERSION}, e.g. {@code 17.0.15}
 */
record OldJava(String binary, String home, String version) {

    /** {@return a Java older than 22, or {@code null} if none is installed} */
    static OldJava find() throws IOException {
        List<Path> binaries = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty()) {
                binaries.add(Path.of(dir, "java"));
            }
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (DirectoryStream<Path> homes = Files.newDirectoryStream(jvms)) {
                for (Path home : homes) {
                    binaries.add(home.resolve("bin/java"));
                }
            }
        }
        for (Path binary : binaries) {
            if (!Files.isExecutable(binary)) {
                continue;
            }
            Path home = binary.toRealPath().getParent().getParent();
            Path release = home.resolve("release");
            if (!Files.isRegularFile(release)) {
                continue;
            }
            for (String line : Files.readAllLines(release)) {
                if (line.startsWith("JAVA_VERSION=\"")) {
                    String version = line.substring("JAVA_VERSION=\"".length(), line.length() - 1);
                    String major = version.startsWith("1.") ? version.substring(2) : version;
                    int end = 0;
                    while (end < major.length() && Character.isDigit(major.charAt(end))) {
                        end++;
                    }
                    if (end > 0 && Integer.parseInt(major.substring(0, end)) < 22) {
                        return new OldJava(binary.toString(), home.toString(), version);
                    }
                }
            }
        }
        return null;
    }
}
