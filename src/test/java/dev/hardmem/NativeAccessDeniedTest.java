package dev.hardmem;

import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM that denies native access ({@code --illegal-native-access=deny}, what a future JDK does by default) gets
 * a message from hardmem naming the flag to add, not a bare {@code ExceptionInInitializerError}.
 */
class NativeAccessDeniedTest {

    /** Child: makes a secret twice and prints what each attempt threw, cause by cause. */
    public static final class FirstUse {
        public static void main(String[] args) {
            for (int attempt = 1; attempt <= 2; attempt++) {
                try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32)) {
                    System.out.println("made " + key);
                } catch (Throwable t) {
                    for (Throwable c = t; c != null; c = c.getCause()) {
                        System.out.println("attempt " + attempt + ": " + c);
                    }
                }
            }
        }
    }

    @Test
    void onTheClassPathTheMessageNamesTheFlagToAdd() throws Exception {
        ChildJvm.Result r = ChildJvm.exec(List.of(ChildJvm.javaBinary(), "--illegal-native-access=deny",
                "-cp", System.getProperty("java.class.path"), FirstUse.class.getName()));
        assertEquals(0, r.exitCode(), r.output());
        String cause = r.stdout().lines().filter(l -> l.startsWith("attempt 1: ")).findFirst().orElseThrow();
        assertTrue(cause.startsWith("attempt 1: java.lang.UnsatisfiedLinkError: hardmem needs native access"),
                "an Error passes through the class initialisers unwrapped: " + r.output());
        assertTrue(cause.contains("--enable-native-access=ALL-UNNAMED"), r.output());
        assertTrue(cause.contains("--enable-native-access=dev.hardmem"), r.output());
        assertTrue(r.stdout().lines().anyMatch(l -> l.startsWith("attempt 2: ")
                && l.contains("--enable-native-access=ALL-UNNAMED")), "a second use says it again: " + r.output());
    }
}
