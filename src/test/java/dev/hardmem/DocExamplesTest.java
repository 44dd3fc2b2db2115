package dev.hardmem;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every {@code ```java} block of {@code README.md} and {@code docs/*.md} compiles, and runs or fails to compile as
 * it says ({@link DocBlocks} has the convention). Each block is a test of its own, named by its file and line.
 */
class DocExamplesTest {
    private static final Path DOCS = Path.of("docs");

    private static List<Path> markdownFiles() throws IOException {
        List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.list(DOCS)) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        return files;
    }

    @TestFactory
    Stream<DynamicTest> everyJavaBlockCompilesAndRuns() throws IOException {
        List<DocBlocks.Block> blocks = new ArrayList<>();
        for (Path file : markdownFiles()) {
            blocks.addAll(DocBlocks.parse(file.toString(), Files.readString(file)));
        }
        assertTrue(blocks.size() >= 18, "few java blocks found: " + blocks.size());
        return blocks.stream().map(b -> DynamicTest.dynamicTest(b.toString(), () -> DocBlocks.check(b)));
    }

    // ---------------------------------------------------------------- the checker can fail

    private static DocBlocks.Block only(String markdown) {
        List<DocBlocks.Block> blocks = DocBlocks.parse("x.md", markdown);
        assertEquals(1, blocks.size(), blocks.toString());
        return blocks.getFirst();
    }

    @Test
    void aBlockThatDoesNotCompileIsReportedByFileAndLine() {
        DocBlocks.Block b = only("""
                intro

                ```java
                try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32)) {
                }
                key.size();
                ```
                """);
        assertEquals(DocBlocks.Shape.BODY, b.shape());
        AssertionError e = assertThrows(AssertionError.class, () -> DocBlocks.check(b));
        assertTrue(e.getMessage().startsWith("x.md:3: does not compile"), e.getMessage());
        assertTrue(e.getMessage().contains("x.md:6: error: cannot find symbol"), e.getMessage());
    }

    @Test
    void aBlockIsRunAndItsFailureReported() throws Exception {
        String block = """
                ```java
                try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32)) {
                    assertEquals(%d, key.size());
                }
                ```
                """;
        DocBlocks.check(only(block.formatted(32)));
        AssertionError e = assertThrows(AssertionError.class, () -> DocBlocks.check(only(block.formatted(31))));
        assertTrue(e.getMessage().startsWith("x.md:1: threw"), e.getMessage());
    }

    @Test
    void aMainIsRunInAJvmOfItsOwn() throws Exception {
        String main = """
                ```java
                public class Hello {
                    public static void main(String[] args) {
                        try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32)) {
                            System.out.println(key);
                        }
                        System.exit(%d);
                    }
                }
                ```
                """;
        assertEquals(DocBlocks.Shape.FILE, only(main.formatted(0)).shape());
        DocBlocks.check(only(main.formatted(0)));
        AssertionError e = assertThrows(AssertionError.class, () -> DocBlocks.check(only(main.formatted(3))));
        assertTrue(e.getMessage().contains("exit 3"), e.getMessage());
    }

    @Test
    void aBlockMarkedDoesNotCompileMustFailWhereAndAsItSays() throws Exception {
        String block = """
                ```java does-not-compile
                class Caller {
                    static void encryptWith(Secret<SecretKind.Key> key) {
                    }

                    static void caller(Secret<SecretKind.%s> given) {
                        encryptWith(given);   // error: incompatible types
                    }
                }
                ```
                """;
        DocBlocks.check(only(block.formatted("Password")));
        AssertionError compiles = assertThrows(AssertionError.class,
                () -> DocBlocks.check(only(block.formatted("Key"))));
        assertTrue(compiles.getMessage().contains("x.md:7: compiles, but the block says 'error: incompatible types'"),
                compiles.getMessage());
        AssertionError otherError = assertThrows(AssertionError.class,
                () -> DocBlocks.check(only(block.formatted("Nothing"))));
        assertTrue(otherError.getMessage().contains("x.md:6: unexpected ERROR: cannot find symbol"),
                otherError.getMessage());
    }

    @Test
    void anUnknownMarkerIsRefused() {
        AssertionError e = assertThrows(AssertionError.class, () -> DocBlocks.parse("x.md", "```java runs\n```\n"));
        assertTrue(e.getMessage().startsWith("x.md:1: unknown marker 'runs'"), e.getMessage());
    }

    // ---------------------------------------------------------------- the docs name real tests

    @Test
    void everyTestNamedInTheDocsExists() throws IOException, ClassNotFoundException {
        Pattern reference = Pattern.compile("\\b(\\w+(?:Test|Contract))#(\\w+)");
        List<String> missing = new ArrayList<>();
        int found = 0;
        for (Path doc : markdownFiles()) {
            Matcher m = reference.matcher(Files.readString(doc));
            while (m.find()) {
                found++;
                Class<?> c = testClass(m.group(1));
                boolean exists = false;
                for (Class<?> k = c; k != null && !exists; k = k.getSuperclass()) {
                    exists = Arrays.stream(k.getDeclaredMethods()).map(Method::getName).anyMatch(m.group(2)::equals);
                }
                if (!exists) {
                    missing.add(doc + ": " + m.group());
                }
            }
        }
        assertTrue(found >= 60, "few test references found: " + found);
        if (!missing.isEmpty()) {
            fail("the docs name tests that do not exist:\n" + String.join("\n", missing));
        }
    }

    /** {@return the test class with this simple name, in whichever test package holds it} */
    private static Class<?> testClass(String simpleName) throws ClassNotFoundException {
        for (String pkg : List.of("dev.hardmem", "dev.hardmem.guarded", "dev.hardmem.proof", "dev.hardmem.aead",
                "dev.hardmem.nonce", "dev.hardmem.crypto", "dev.hardmem.sealed", "dev.hardmem.internal.os",
                "dev.hardmem.internal.alloc.slab", "dev.hardmem.tool")) {
            try {
                return Class.forName(pkg + "." + simpleName);
            } catch (ClassNotFoundException e) {
                // try the next package
            }
        }
        throw new ClassNotFoundException("no test class " + simpleName + " in any test package");
    }
}
