package dev.hardmem;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The examples of {@code docs/guide.md}: the body of each test method below is, character for character (less its
 * indentation), one example of the guide, and {@link #everyExampleInTheGuideIsATestHere} checks that they agree.
 * The private methods at the end stand for the user's own code (a KDF, a cipher, a legacy API).
 */
class GuideExamplesTest {
    private static final Path GUIDE = Path.of("docs/guide.md");
    private static final Path GUARANTEES = Path.of("docs/guarantees.md");
    private static final Path THIS_SOURCE = Path.of("src/test/java/dev/hardmem/GuideExamplesTest.java");

    // ---------------------------------------------------------------- the examples

    @Test
    void confinedArena() {
        MemorySegment escaped;
        try (SecretArena arena = SecretArena.ofConfined()) {
            MemorySegment key = arena.allocate(32);     // zeroed, off the Java heap, fixed size
            deriveKeyInto(key);                         // your KDF writes straight into it
            encrypt(key, "attack at dawn");             // any FFM code that takes a segment
            escaped = key;
        }                                               // every byte wiped, then freed
        assertThrows(IllegalStateException.class, () -> escaped.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void sharedArena() throws InterruptedException {
        try (SecretArena arena = SecretArena.ofShared()) {
            MemorySegment counters = arena.allocate(ValueLayout.JAVA_LONG, 4);
            Thread worker = Thread.ofPlatform().start(() -> counters.set(ValueLayout.JAVA_LONG, 0, 42L));
            worker.join();
            assertEquals(42L, counters.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    @Test
    void anArenaLikeAnyOther() {
        try (SecretArena arena = SecretArena.ofConfined()) {
            SegmentAllocator allocator = arena;         // or pass it where an Arena is expected
            MemorySegment pin = allocator.allocate(ValueLayout.JAVA_INT, 6);
            MemorySegment page = arena.allocate(4096, 4096);
            assertEquals(24, pin.byteSize());
            assertEquals(0, page.address() % 4096);
            assertEquals(arena.scope(), pin.scope());
        }
    }

    @Test
    void misuse() {
        SecretArena arena = SecretArena.ofConfined();
        assertThrows(IllegalArgumentException.class, () -> arena.allocate(-1));
        assertThrows(IllegalArgumentException.class, () -> arena.allocate(16, 3));
        assertThrows(NullPointerException.class, () -> arena.allocate(null));
        arena.close();
        assertThrows(IllegalStateException.class, () -> arena.allocate(16));
        assertThrows(IllegalStateException.class, arena::close);
    }

    @Test
    void randomKey() {
        try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32)) {
            long tag = key.read(k -> encrypt(k, "attack at dawn"));   // the view dies when the lambda returns
            long again = key.read(k -> encrypt(k, "attack at dawn"));
            assertEquals(tag, again);
            assertEquals("Secret[32 bytes, redacted]", key.toString());
        }
    }

    @Test
    void derivedKey() {
        try (Secret<SecretKind.Key> key = Secret.withContents(SecretKind.Key.class, 32,
                out -> deriveKeyInto(out))) {               // if the writer throws, the bytes are wiped
            assertEquals(32, key.size());
        }
    }

    @Test
    void factoriesThatWipeTheirInput() {
        char[] typed = {'h', 'u', 'n', 't', 'e', 'r', '2', '\u00e9'};
        try (Secret<SecretKind.Password> password = Secret.fromCharsWiping(SecretKind.Password.class, typed)) {
            assertArrayEquals(new char[8], typed);     // your array is wiped
            assertEquals(9, password.size());          // UTF-8: 'é' takes two bytes
        }
        byte[] received = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        try (Secret<SecretKind.Key> key = Secret.fromBytesWiping(SecretKind.Key.class, received)) {
            assertArrayEquals(new byte[16], received);
            assertEquals(16, key.size());
        }
    }

    @Test
    void fromAStream() throws IOException {
        InputStream in = new ByteArrayInputStream(new byte[] {9, 8, 7, 6, 5});
        try (Secret<SecretKind.Seed> seed = Secret.readFrom(SecretKind.Seed.class, in, 64)) {
            assertEquals(5, seed.size());              // what was read; the capacity never grows
        }
        InputStream tooLong = new ByteArrayInputStream(new byte[65]);
        assertThrows(IllegalArgumentException.class, () -> Secret.readFrom(SecretKind.Seed.class, tooLong, 64));
    }

    @Test
    void scopedAccess() {
        try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32)) {
            key.write(k -> k.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));   // a writable view
            boolean readOnly = key.read(k -> k.isReadOnly());           // a read-only view
            assertTrue(readOnly);
            MemorySegment kept = key.read(k -> k);                       // don't: it dies with the lambda
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void kindsAreTypes() {
        final class HmacKey implements SecretKind {       // a kind of your own
            private HmacKey() {
            }
        }
        try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32);
             Secret<HmacKey> macKey = Secret.random(HmacKey.class, 64)) {
            encryptWith(key);                             // encryptWith(macKey) would not compile
            assertEquals(HmacKey.class, macKey.kind());
        }
    }

    @Test
    void comparingSecrets() {
        byte[] bytes = {1, 2, 3, 4, 5, 6, 7, 8};
        try (Secret<SecretKind.Key> a = Secret.fromBytesWiping(SecretKind.Key.class, bytes.clone());
             Secret<SecretKind.Key> b = Secret.fromBytesWiping(SecretKind.Key.class, bytes.clone())) {
            assertNotEquals(a, b);                        // equals is identity
            assertTrue(a.contentEquals(b));               // contents, in constant time
        }
        byte[] received = {7, 7, 7, 7};
        byte[] computed = {7, 7, 7, 8};
        assertFalse(ConstantTime.equals(received, computed));
    }

    @Test
    void wipingWhatYouHold() {
        byte[] bytes = "a password on the heap".getBytes(StandardCharsets.UTF_8);
        char[] chars = {'s', 'e', 'c', 'r', 'e', 't'};
        ByteBuffer direct = ByteBuffer.allocateDirect(32).put(bytes);
        Wipe.bytes(bytes);
        Wipe.chars(chars);
        Wipe.buffer(direct);                              // the whole capacity, heap or direct
        assertArrayEquals(new byte[bytes.length], bytes);
        assertArrayEquals(new char[6], chars);
        assertEquals(-1, direct.clear().mismatch(ByteBuffer.allocate(32)));
    }

    @Test
    void insecureCopy() {
        try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 16)) {
            byte[] copy = key.insecureCopyToHeap();       // only where an API demands a byte[]
            try {
                legacyApi(copy);
            } finally {
                Wipe.bytes(copy);
            }
        }
    }

    // ---------------------------------------------------------------- stand-ins for the user's code

    /** A stand-in for a key derivation function that writes its output into {@code out}. */
    private static void deriveKeyInto(MemorySegment out) {
        for (long i = 0; i < out.byteSize(); i++) {
            out.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 3));
        }
    }

    /** A stand-in for a cipher: a keyed checksum of {@code message}. */
    private static long encrypt(MemorySegment key, String message) {
        long h = 0;
        for (long i = 0; i < key.byteSize(); i++) {
            h = h * 31 + key.get(ValueLayout.JAVA_BYTE, i);
        }
        return h ^ message.hashCode();
    }

    /** Code that wants a key, and only a key. */
    private static void encryptWith(Secret<SecretKind.Key> key) {
        key.read(k -> encrypt(k, "hello"));
    }

    private static void legacyApi(byte[] key) {
        assertEquals(16, key.length);
    }

    // ---------------------------------------------------------------- the guide agrees with the tests

    private static final Set<String> NOT_EXAMPLES = Set.of("everyExampleInTheGuideIsATestHere",
            "everyTestNamedInTheDocsExists");

    /** {@return the example blocks of the guide, by the test named just before each} */
    private static Map<String, String> guideExamples(List<String> unmarked) throws IOException {
        List<String> lines = Files.readAllLines(GUIDE);
        Map<String, String> examples = new LinkedHashMap<>();
        Pattern marker = Pattern.compile("`GuideExamplesTest#(\\w+)`");
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).equals("```java")) {
                continue;
            }
            int end = lines.subList(i + 1, lines.size()).indexOf("```") + i + 1;
            String code = String.join("\n", lines.subList(i + 1, end));
            String before = i > 0 ? lines.get(i - 1) : "";
            for (int j = i - 1; j >= 0 && before.isBlank(); j--) {
                before = lines.get(j);
            }
            Matcher m = marker.matcher(before);
            if (m.find()) {
                examples.put(m.group(1), code);
            } else if (!before.contains("Does not compile")) {
                unmarked.add("line " + (i + 1) + ": " + before);
            }
            i = end;
        }
        return examples;
    }

    /** {@return the body of each example method of this class, without its 8-space indentation} */
    private static Map<String, String> testBodies() throws IOException {
        List<String> lines = Files.readAllLines(THIS_SOURCE);
        Map<String, String> bodies = new LinkedHashMap<>();
        Pattern start = Pattern.compile("^    void (\\w+)\\(\\)( throws [\\w, ]+)? \\{$");
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = start.matcher(lines.get(i));
            if (!m.matches() || NOT_EXAMPLES.contains(m.group(1))) {
                continue;
            }
            List<String> body = new ArrayList<>();
            for (i++; !lines.get(i).equals("    }"); i++) {
                body.add(lines.get(i).isEmpty() ? "" : lines.get(i).substring(8));
            }
            bodies.put(m.group(1), String.join("\n", body));
        }
        return bodies;
    }

    @Test
    void everyExampleInTheGuideIsATestHere() throws IOException {
        List<String> unmarked = new ArrayList<>();
        Map<String, String> examples = guideExamples(unmarked);
        Map<String, String> bodies = testBodies();
        assertTrue(unmarked.isEmpty(), "java examples in the guide that name no test (and are not marked "
                + "'Does not compile'):\n" + String.join("\n", unmarked));
        assertEquals(new TreeSet<>(bodies.keySet()), new TreeSet<>(examples.keySet()),
                "every example test is in the guide and every example of the guide is a test");
        for (Map.Entry<String, String> e : examples.entrySet()) {
            assertEquals(bodies.get(e.getKey()), e.getValue(), "the guide's " + e.getKey() + " differs from the test");
        }
    }

    @Test
    void everyTestNamedInTheDocsExists() throws IOException, ClassNotFoundException {
        Pattern reference = Pattern.compile("\\b(\\w+(?:Test|Contract))#(\\w+)");
        List<String> missing = new ArrayList<>();
        int found = 0;
        for (Path doc : List.of(GUIDE, GUARANTEES, GUIDE.resolveSibling("threat-model.md"),
                GUIDE.resolveSibling("guarded-allocator.md"))) {
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
                "dev.hardmem.nonce", "dev.hardmem.internal.os", "dev.hardmem.internal.alloc.slab",
                "dev.hardmem.tool")) {
            try {
                return Class.forName(pkg + "." + simpleName);
            } catch (ClassNotFoundException e) {
                // try the next package
            }
        }
        throw new ClassNotFoundException("no test class " + simpleName + " in any test package");
    }
}
