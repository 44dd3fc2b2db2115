package dev.hardmem.proof;

import dev.hardmem.Encoding;
import dev.hardmem.Inputs;
import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.Hunt;
import dev.hardmem.testing.ScriptPty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inputs of {@link Inputs} and {@link Encoding}, hunted for in a heap dump as {@link HeapDumpHuntTest} hunts the
 * rest: a child JVM with a pseudo-terminal ({@code script(1)}) reads a password typed at it, two environment
 * variables, a key file, a hex text from a {@code char[]} and a Base64 text from a segment, encodes a key into a
 * segment, then dumps its whole heap, dead objects included. None of the secrets may be in it. Controls: a plain
 * {@code byte[]} pattern is found; and in a second child, which calls {@link System#getenv} as any library may, the
 * JDK's copy of the variable is found, which is why {@link Inputs#environment} warns of it.
 */
class InputsHeapDumpHuntTest {
    private static final String PROMPT = "hunt> ";
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /** The hex text: 64 digits from {@code seed}, in either case. */
    private static char[] hexText(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        char[] text = new char[64];
        for (int i = 0; i < text.length; i++) {
            text[i] = "0123456789abcdefABCDEF".charAt(r.nextInt(22));
        }
        return text;
    }

    /** The Base64 text of 32 bytes: 43 characters from {@code seed}, the last carrying 2 bits of data, then '='. */
    private static char[] base64Text(long seed) {
        String b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        SplittableRandom r = new SplittableRandom(seed);
        char[] text = new char[44];
        for (int i = 0; i < 42; i++) {
            text[i] = b64.charAt(r.nextInt(64));
        }
        text[42] = b64.charAt(16 * r.nextInt(4));
        text[43] = '=';
        return text;
    }

    /** Child: reads every input into secrets, then dumps the heap; prints {@code name=hex} for its own patterns. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            Path dump = Path.of(args[0]);
            long seed = Long.parseLong(args[2]);
            Secret<SecretKind.Password> password = Inputs.terminalPassword(PROMPT, 64);
            Secret<SecretKind.Key> env = Inputs.environment(SecretKind.Key.class, "HARDMEM_HUNT_ENV");
            Secret<SecretKind.Key> envWiped = Inputs.environmentWiping(SecretKind.Key.class, "HARDMEM_HUNT_WIPED");
            Secret<SecretKind.Key> file = Inputs.file(SecretKind.Key.class, Path.of(args[1]), 64);
            Secret<SecretKind.Key> hex = Encoding.HEX.decodeWiping(SecretKind.Key.class, hexText(seed));
            Secret<SecretKind.Key> base64;
            try (Arena arena = Arena.ofConfined()) {
                char[] text = base64Text(seed + 1);
                MemorySegment native64 = arena.allocate(text.length);
                for (int i = 0; i < text.length; i++) {
                    native64.set(ValueLayout.JAVA_BYTE, i, (byte) text[i]);
                }
                base64 = Encoding.BASE64.decode(SecretKind.Key.class, native64);
            }
            Secret<SecretKind.Key> encoded = Secret.random(SecretKind.Key.class, 32);
            try (Arena arena = Arena.ofConfined()) {
                Encoding.BASE64_URL.encode(encoded, arena.allocate(Encoding.BASE64_URL.encodedLength(32)));
            }
            System.out.println("Encoding.encode (its source)=" + encoded.read(Hunt::hex32));
            byte[] control = new byte[32];
            new SecureRandom().nextBytes(control);
            System.out.println("control=" + HexFormat.of().formatHex(control));

            Hunt.dumpHeap(dump.toString());
            System.out.println("DUMPED " + List.of(password, env, envWiped, file, hex, base64, encoded, control)
                    .size());
        }
    }

    /** Child: calls {@link System#getenv}, as any library may, then reads the same variable as {@link Holder}. */
    public static final class AfterGetenv {
        public static void main(String[] args) throws Exception {
            System.getenv("HOME");
            try (Secret<SecretKind.Key> env = Inputs.environmentWiping(SecretKind.Key.class, "HARDMEM_HUNT_ENV")) {
                Hunt.dumpHeap(args[0]);
                System.out.println("DUMPED " + env.size());
            }
        }
    }

    private static String randomText(SecureRandom rng) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            b.append(ALPHABET.charAt(rng.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    @Timeout(300)
    void noInputIsInTheHeapDumpButTheControlIs() throws Exception {
        SecureRandom rng = new SecureRandom();
        Map<String, byte[]> patterns = new LinkedHashMap<>();
        String password = randomText(rng);
        String env = randomText(rng);
        String wiped = randomText(rng);
        byte[] key = new byte[32];
        rng.nextBytes(key);
        long seed = rng.nextLong();
        patterns.put("Inputs.terminalPassword", ascii(password));
        patterns.put("Inputs.environment", ascii(env));
        patterns.put("Inputs.environmentWiping", ascii(wiped));
        patterns.put("Inputs.file", key);
        patterns.put("Encoding.HEX.decodeWiping", HexFormat.of().parseHex(new String(hexText(seed))));
        patterns.put("Encoding.HEX.decodeWiping (the char[], UTF-16)", utf16(hexText(seed)));
        patterns.put("Encoding.BASE64.decode(MemorySegment)",
                Base64.getDecoder().decode(new String(base64Text(seed + 1))));

        Path dir = Files.createTempDirectory("hardmem-inputs-heap");
        Path dump = dir.resolve("heap.hprof");
        Path keyFile = dir.resolve("key");
        Files.write(keyFile, key);
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("r--------"));
        try (ScriptPty pty = new ScriptPty(Map.of("HARDMEM_HUNT_ENV", env, "HARDMEM_HUNT_WIPED", wiped),
                List.of("-Xmx128m", "-XX:+UseSerialGC"), Holder.class, dump.toString(), keyFile.toString(),
                Long.toString(seed))) {
            pty.waitFor(PROMPT);
            pty.type(password + "\n");
            String shown = pty.finish();
            assertTrue(shown.contains("DUMPED 8") && shown.contains("EXIT=0"), shown);
            for (String line : shown.split("\r?\n")) {
                int eq = line.indexOf('=');
                if (eq > 0 && (line.startsWith("control=") || line.startsWith("Encoding.encode"))) {
                    patterns.put(line.substring(0, eq), HexFormat.of().parseHex(line.substring(eq + 1).strip()));
                }
            }
            assertEquals(9, patterns.size(), shown);
            Map<String, Long> found = Hunt.count(dump, patterns);
            assertTrue(found.get("control") > 0, "control: the byte[] pattern must be in the dump, or the hunt is"
                    + " blind");
            for (Map.Entry<String, Long> e : found.entrySet()) {
                if (!e.getKey().equals("control")) {
                    assertEquals(0L, e.getValue(), e.getKey() + " was found in the heap dump");
                }
            }
        } finally {
            Files.deleteIfExists(dump);
            Files.deleteIfExists(keyFile);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    @Timeout(300)
    void onceSystemGetenvHasRunTheJdkHoldsTheVariableOnTheHeapAsTheDocsWarn() throws Exception {
        String env = randomText(new SecureRandom());
        Path dir = Files.createTempDirectory("hardmem-getenv-heap");
        Path dump = dir.resolve("heap.hprof");
        try {
            ChildJvm.Result r = ChildJvm.run(List.of("env", "HARDMEM_HUNT_ENV=" + env),
                    List.of("-Xmx128m", "-XX:+UseSerialGC"), AfterGetenv.class, dump.toString());
            assertEquals(0, r.exitCode(), r.output());
            Map<String, Long> found = Hunt.count(dump, Map.of("the JDK's copy", ascii(env)));
            assertTrue(found.get("the JDK's copy") > 0, "System.getenv no longer copies the environment to the heap:"
                    + " update the javadoc of Inputs.environment and docs/inputs.md");
        } finally {
            Files.deleteIfExists(dump);
            Files.deleteIfExists(dir);
        }
    }

    private static byte[] utf16(char[] text) {
        byte[] b = new byte[text.length * 2];
        for (int i = 0; i < text.length; i++) {
            b[2 * i] = (byte) text[i];
        }
        return b;
    }
}
