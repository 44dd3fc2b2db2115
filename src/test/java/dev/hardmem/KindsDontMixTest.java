package dev.hardmem;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kinds of secret are types: handing a password to code that wants a key is a compile error, not a runtime check.
 * Proven by compiling user code with the JDK's own compiler against hardmem's classes.
 *
 * <p>The compiler is reached through {@link ToolProvider} (in {@code java.base}) rather than {@code javax.tools}:
 * the tests are compiled as part of the {@code dev.hardmem} module, which does not read {@code java.compiler}.
 */
class KindsDontMixTest {
    private static final String TEMPLATE = """
            import dev.hardmem.Secret;
            import dev.hardmem.SecretKind;

            class UserCode {
                static void encryptWith(Secret<SecretKind.Key> key) {
                }

                static void caller(Secret<SecretKind.%s> given) {
                    encryptWith(given);
                }
            }
            """;

    private record Outcome(int exitCode, String output) {
    }

    private static Outcome compile(String source) throws IOException, URISyntaxException {
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow(() -> new AssertionError("no javac"));
        // Surefire may put a manifest-only jar on java.class.path; name hardmem's classes directly as well.
        String hardmem = Path.of(Secret.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String classPath = hardmem + File.pathSeparator + System.getProperty("java.class.path");
        Path dir = Files.createTempDirectory("hardmem-kinds");
        Path file = Files.writeString(dir.resolve("UserCode.java"), source);
        StringWriter out = new StringWriter();
        Locale before = Locale.getDefault();
        // javac words its messages in the default locale; the assertions read English.
        Locale.setDefault(Locale.ENGLISH);
        try (PrintWriter w = new PrintWriter(out)) {
            int code = javac.run(w, w, "-classpath", classPath, "-d", dir.resolve("out").toString(), "-proc:none",
                    "-Xlint:all", file.toString());
            w.flush();
            return new Outcome(code, out.toString());
        } finally {
            Locale.setDefault(before);
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aPasswordIsNotAKey() throws Exception {
        Outcome o = compile(TEMPLATE.formatted("Password"));
        assertTrue(o.exitCode() != 0, "a Secret<Password> was accepted where a Secret<Key> is required\n" + o);
        assertTrue(o.output().contains("UserCode.java:9: error: incompatible types: "
                + "Secret<Password> cannot be converted to Secret<Key>"), o.output());
        assertTrue(o.output().contains("1 error"), o.output());
    }

    @Test
    void aSeedIsNotAKeyEither() throws Exception {
        Outcome o = compile(TEMPLATE.formatted("Seed"));
        assertTrue(o.exitCode() != 0, o.output());
        assertTrue(o.output().contains("incompatible types"), o.output());
    }

    @Test
    void aKeyCompiles() throws Exception {
        // The control: the same code with the right kind compiles, so the failures above are the kind's doing.
        Outcome o = compile(TEMPLATE.formatted("Key"));
        assertEquals(0, o.exitCode(), o.output());
        assertEquals("", o.output().strip());
    }
}
