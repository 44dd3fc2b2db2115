package dev.hardmem;

import dev.hardmem.testing.ChildJvm;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code ```java} blocks of a Markdown file, and what it takes to prove each one: compile it, and run it or
 * see it fail to compile. The convention, also stated in {@code docs/README.md}:
 *
 * <ul>
 * <li>A block is one of three shapes. A module declaration is a {@code module-info.java}, compiled against hardmem
 *     on the module path. A block whose top-level lines are only {@code package} and {@code import} statements,
 *     annotations and type declarations is a source file. Any other block is the body of a method.</li>
 * <li>A source file or a method body without {@code import} lines gets {@link #IMPORTS}: the API packages, the
 *     JDK packages examples use, JUnit's assertions and the stand-ins for the reader's code
 *     ({@link DocStandIns}).</li>
 * <li>A method body runs in this JVM; a source file with a {@code main} method runs in a new JVM, as a user would
 *     run it (class path, {@code --enable-native-access=ALL-UNNAMED}), and must exit 0 and write nothing to
 *     standard error. Other source files and module declarations are only compiled.</li>
 * <li>Words after {@code java} in the opening fence change that: {@code compile-only} compiles and does not run
 *     (for code that needs a terminal, a peer, a file); {@code does-not-compile} must fail to compile, with an
 *     error on every line that ends in a {@code // error: TEXT} comment, whose message (with names unqualified,
 *     as {@code javac} prints them) contains {@code TEXT}, and on no other line.</li>
 * </ul>
 *
 * Every block compiles with {@code -Xlint:all -Werror}, like the library.
 */
final class DocBlocks {
    static final String IMPORTS = """
            import dev.hardmem.*;
            import dev.hardmem.aead.*;
            import dev.hardmem.crypto.*;
            import dev.hardmem.guarded.*;
            import dev.hardmem.nonce.*;
            import dev.hardmem.sealed.*;
            import java.io.*;
            import java.lang.foreign.*;
            import java.nio.*;
            import java.nio.charset.*;
            import java.security.*;
            import java.util.*;
            import javax.crypto.*;
            import javax.crypto.spec.*;
            import static dev.hardmem.DocStandIns.*;
            import static org.junit.jupiter.api.Assertions.*;
            """;

    private static final Set<String> MARKERS = Set.of("compile-only", "does-not-compile");
    private static final Pattern FENCE = Pattern.compile("^```\\s*(\\S*)\\s*(.*)$");
    private static final Pattern TOP_LEVEL = Pattern.compile(
            "^(\\s.*|//.*|/\\*.*|\\*.*|}.*|@.*|package .*|import .*|"
                    + "((public|abstract|final|sealed|non-sealed|strictfp) )*(class|interface|record|enum) .*)?$");
    private static final Pattern MODULE = Pattern.compile("^(open )?module [\\w.]+\\s*\\{");
    private static final Pattern TYPE_NAME = Pattern.compile(
            "(?m)^(?:(?:public|abstract|final|sealed|non-sealed|strictfp) )*(?:class|interface|record|enum) (\\w+)");
    private static final Pattern MAIN = Pattern.compile("static void main\\(String\\[] \\w+\\)");
    private static final Pattern ERROR_COMMENT = Pattern.compile("// error: (.+)$");
    private static final Pattern QUALIFIER = Pattern.compile("\\b(?:[A-Za-z_]\\w*\\.)+(?=[A-Za-z_])");

    enum Shape { MODULE, FILE, BODY }

    /** One {@code ```java} block: where it is (the line of its opening fence), the words after {@code java}. */
    record Block(String file, int line, String marker, String code) {
        Shape shape() {
            List<String> code = code().lines().filter(l -> !l.isBlank() && !l.startsWith("//")).toList();
            if (!code.isEmpty() && MODULE.matcher(code.getFirst()).find()) {
                return Shape.MODULE;
            }
            return code.stream().allMatch(l -> TOP_LEVEL.matcher(l).matches()) ? Shape.FILE : Shape.BODY;
        }

        @Override
        public String toString() {
            return file + ":" + line;
        }
    }

    private DocBlocks() {
    }

    /** {@return the {@code ```java} blocks of {@code text}, named {@code file} in reports} */
    static List<Block> parse(String file, String text) {
        List<String> lines = text.lines().toList();
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher open = FENCE.matcher(lines.get(i));
            if (!open.matches()) {
                continue;
            }
            int end = i + 1;
            while (end < lines.size() && !lines.get(end).strip().equals("```")) {
                end++;
            }
            if (end == lines.size()) {
                throw new AssertionError(file + ":" + (i + 1) + ": code block never closed");
            }
            if (open.group(1).equalsIgnoreCase("java")) {
                String marker = open.group(2);
                if (!marker.isEmpty() && !MARKERS.contains(marker)) {
                    throw new AssertionError(file + ":" + (i + 1) + ": unknown marker '" + marker + "', expected "
                            + "one of " + MARKERS);
                }
                blocks.add(new Block(file, i + 1, marker, String.join("\n", lines.subList(i + 1, end)) + "\n"));
            }
            i = end;
        }
        return blocks;
    }

    /**
     * Proves {@code block} as its shape and marker ask.
     *
     * @throws AssertionError naming the block's file and line, and the line of the Markdown file each compiler
     *                        message is about
     */
    static void check(Block block) throws Exception {
        Path dir = Files.createTempDirectory("hardmem-doc");
        try {
            Source source = source(block);
            Path out = Files.createDirectories(dir.resolve("out"));
            Path file = Files.createDirectories(dir.resolve("src")).resolve(source.fileName());
            Files.writeString(file, source.text());
            List<Diagnostic<? extends JavaFileObject>> diagnostics = compile(file, out, block.shape());
            if (block.marker().equals("does-not-compile")) {
                checkErrors(block, source, diagnostics);
                return;
            }
            if (!diagnostics.isEmpty()) {
                throw new AssertionError(block + ": does not compile cleanly (-Xlint:all -Werror):\n"
                        + report(block, source, diagnostics));
            }
            if (block.marker().equals("compile-only")) {
                return;
            }
            switch (block.shape()) {
                case BODY -> runBody(block, out);
                case FILE -> {
                    if (MAIN.matcher(block.code()).find()) {
                        runMain(block, out, source.typeName());
                    }
                }
                case MODULE -> { }
            }
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The Java source a block becomes, and how many lines were put before the block's first line. */
    private record Source(String fileName, String typeName, String text, int linesBefore) {
    }

    private static Source source(Block block) {
        String code = block.code();
        boolean ownImports = code.lines().anyMatch(l -> l.startsWith("import ") || l.startsWith("package "));
        String imports = ownImports ? "" : IMPORTS;
        int before = (int) imports.lines().count();
        return switch (block.shape()) {
            case MODULE -> new Source("module-info.java", null, code, 0);
            case FILE -> {
                Matcher m = TYPE_NAME.matcher(code);
                if (!m.find()) {
                    throw new AssertionError(block + ": no type declaration found");
                }
                yield new Source(m.group(1) + ".java", m.group(1), imports + code, before);
            }
            case BODY -> new Source("DocExample.java", "DocExample", imports
                    + "final class DocExample {\n    static void run() throws Throwable {\n" + code + "    }\n}\n",
                    before + 2);
        };
    }

    private static List<Diagnostic<? extends JavaFileObject>> compile(Path file, Path out, Shape shape)
            throws IOException, URISyntaxException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> collector = new DiagnosticCollector<>();
        List<String> options = new ArrayList<>(List.of("-d", out.toString(), "-proc:none", "-Xlint:all", "-Werror"));
        if (shape == Shape.MODULE) {
            options.addAll(List.of("--module-path", location(Secret.class).toString()));
        } else {
            options.addAll(List.of("-classpath", classPath()));
        }
        try (StandardJavaFileManager files = javac.getStandardFileManager(collector, Locale.ENGLISH,
                StandardCharsets.UTF_8)) {
            javac.getTask(null, files, collector, options, null, files.getJavaFileObjects(file)).call();
        }
        return collector.getDiagnostics();
    }

    /** {@return hardmem's classes, the stand-ins and the test class path (which may be a manifest-only jar)} */
    static String classPath() throws URISyntaxException {
        return String.join(File.pathSeparator, location(Secret.class).toString(),
                location(DocStandIns.class).toString(), System.getProperty("java.class.path"));
    }

    private static Path location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** {@return the line of the Markdown file a compiler message is about} */
    private static long markdownLine(Block block, Source source, Diagnostic<?> d) {
        return block.line() + d.getLineNumber() - source.linesBefore();
    }

    private static String message(Diagnostic<?> d) {
        return QUALIFIER.matcher(d.getMessage(Locale.ENGLISH)).replaceAll("");
    }

    private static String report(Block block, Source source, List<Diagnostic<? extends JavaFileObject>> ds) {
        StringBuilder sb = new StringBuilder();
        for (Diagnostic<?> d : ds) {
            sb.append(block.file()).append(':').append(markdownLine(block, source, d)).append(": ")
                    .append(d.getKind().toString().toLowerCase(Locale.ROOT)).append(": ").append(message(d))
                    .append('\n');
        }
        return sb.toString();
    }

    private static void checkErrors(Block block, Source source, List<Diagnostic<? extends JavaFileObject>> ds) {
        Map<Long, String> expected = new TreeMap<>();
        List<String> lines = block.code().lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = ERROR_COMMENT.matcher(lines.get(i));
            if (m.find()) {
                expected.put((long) block.line() + 1 + i, m.group(1).strip());
            }
        }
        if (expected.isEmpty()) {
            throw new AssertionError(block + ": a does-not-compile block needs a '// error: ...' comment on the "
                    + "line that fails");
        }
        List<String> problems = new ArrayList<>();
        for (Diagnostic<?> d : ds) {
            long line = markdownLine(block, source, d);
            String want = expected.get(line);
            if (d.getKind() == Diagnostic.Kind.ERROR && want != null && message(d).contains(want)) {
                expected.remove(line);
            } else if (d.getKind() == Diagnostic.Kind.ERROR || d.getKind() == Diagnostic.Kind.WARNING) {
                problems.add(block.file() + ":" + line + ": unexpected " + d.getKind() + ": " + message(d));
            }
        }
        expected.forEach((line, want) -> problems.add(block.file() + ":" + line + ": compiles, but the block says "
                + "'error: " + want + "'"));
        if (!problems.isEmpty()) {
            throw new AssertionError(block + ": does not fail to compile as it says:\n" + String.join("\n", problems));
        }
    }

    private static void runBody(Block block, Path out) throws Exception {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {out.toUri().toURL()},
                DocBlocks.class.getClassLoader())) {
            Method run = loader.loadClass("DocExample").getDeclaredMethod("run");
            run.setAccessible(true);
            run.invoke(null);
        } catch (InvocationTargetException e) {
            throw new AssertionError(block + ": threw " + e.getCause(), e.getCause());
        }
    }

    private static void runMain(Block block, Path out, String mainClass) throws Exception {
        ChildJvm.Result r = ChildJvm.exec(List.of(ChildJvm.javaBinary(), "--enable-native-access=ALL-UNNAMED",
                "-cp", out + File.pathSeparator + classPath(), mainClass));
        if (r.exitCode() != 0 || !r.stderr().isEmpty()) {
            throw new AssertionError(block + ": java " + mainClass + " did not exit 0 in silence\n" + r.output());
        }
    }
}
