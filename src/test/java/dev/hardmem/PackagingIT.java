package dev.hardmem;

import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code ./mvnw install} puts in a user's repository, and the README's "Use it in your project": the sources
 * and javadoc jars beside the jar, and an application that depends on the jar, run with the flags the README gives.
 */
class PackagingIT {
    private static final Path JAR = Path.of(System.getProperty("hardmem.jar"));

    private static List<String> entries(Path jar) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            return Collections.list(j.entries()).stream().map(JarEntry::getName).toList();
        }
    }

    private static Path beside(String classifier) {
        return JAR.resolveSibling(JAR.getFileName().toString().replace(".jar", "-" + classifier + ".jar"));
    }

    @Test
    void aSourcesJarWithEveryMainSourceAndNoTest() throws IOException {
        List<String> entries = entries(beside("sources"));
        assertTrue(entries.contains("module-info.java"), entries.toString());
        assertTrue(entries.contains("dev/hardmem/Secret.java"), entries.toString());
        assertTrue(entries.contains("dev/hardmem/internal/os/Libc.java"), entries.toString());
        assertFalse(entries.stream().anyMatch(e -> e.endsWith("Test.java") || e.endsWith("IT.java")),
                entries.toString());
    }

    @Test
    void aJavadocJarOfTheExportedPackagesOnly() throws IOException {
        List<String> entries = entries(beside("javadoc"));
        for (String type : List.of("dev/hardmem/Secret.html", "dev/hardmem/guarded/GuardedAllocator.html",
                "dev/hardmem/nonce/UnusedNonce.html", "dev/hardmem/aead/SealingKey.html")) {
            assertTrue(entries.stream().anyMatch(e -> e.endsWith(type)), type + " missing from " + entries);
        }
        List<String> unexported = entries.stream().filter(e -> e.contains("/internal/") || e.contains("/tool/"))
                .toList();
        assertEquals(List.of(), unexported, "documented, but not exported");
    }

    // ---------------------------------------------------------------- an application that depends on the jar

    private static final String MAIN = """
            package com.example.app;

            public class Main {
                public static void main(String[] args) {
                    try (dev.hardmem.Secret<dev.hardmem.SecretKind.Key> key =
                            dev.hardmem.Secret.random(dev.hardmem.SecretKind.Key.class, 32)) {
                        System.out.println(key);
                    }
                }
            }
            """;
    private static final String MODULE_INFO = "module com.example.app {\n    requires dev.hardmem;\n}\n";

    /** Compiles the application into {@code dir/app}, on the module path when {@code modular}. */
    private static Path compileApp(Path dir, boolean modular) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src/com/example/app"));
        List<String> args = new ArrayList<>(List.of("-d", dir.resolve("app").toString(),
                modular ? "--module-path" : "-classpath", JAR.toString(),
                Files.writeString(src.resolve("Main.java"), MAIN).toString()));
        if (modular) {
            args.add(Files.writeString(dir.resolve("src/module-info.java"), MODULE_INFO).toString());
        }
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
        assertEquals(0, javac.run(System.out, System.err, args.toArray(String[]::new)));
        return dir.resolve("app");
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static ChildJvm.Result java(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ChildJvm.javaBinary()));
        cmd.addAll(List.of(args));
        return ChildJvm.exec(cmd);
    }

    @Test
    void onTheClassPathWithTheReadmesFlag() throws Exception {
        Path dir = Files.createTempDirectory("hardmem-app");
        try {
            String cp = compileApp(dir, false) + File.pathSeparator + JAR;
            ChildJvm.Result r = java("--enable-native-access=ALL-UNNAMED", "-cp", cp, "com.example.app.Main");
            assertEquals(0, r.exitCode(), r.output());
            assertEquals("Secret[32 bytes, redacted]", r.stdout().strip(), r.output());
            assertEquals("", r.stderr(), r.output());
            ChildJvm.Result control = java("-cp", cp, "com.example.app.Main");
            assertTrue(control.stderr().contains("WARNING: A restricted method"), control.output());
        } finally {
            deleteTree(dir);
        }
    }

    @Test
    void onTheModulePathWithTheReadmesFlag() throws Exception {
        Path dir = Files.createTempDirectory("hardmem-app");
        try {
            String mp = compileApp(dir, true) + File.pathSeparator + JAR;
            ChildJvm.Result r = java("--enable-native-access=dev.hardmem", "-p", mp,
                    "-m", "com.example.app/com.example.app.Main");
            assertEquals(0, r.exitCode(), r.output());
            assertEquals("Secret[32 bytes, redacted]", r.stdout().strip(), r.output());
            assertEquals("", r.stderr(), r.output());
            ChildJvm.Result control = java("-p", mp, "-m", "com.example.app/com.example.app.Main");
            assertTrue(control.stderr().contains("WARNING: A restricted method"), control.output());
        } finally {
            deleteTree(dir);
        }
    }
}
