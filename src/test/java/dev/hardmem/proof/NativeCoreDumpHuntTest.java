package dev.hardmem.proof;

import dev.hardmem.ConstantTime;
import dev.hardmem.Encoding;
import dev.hardmem.Inputs;
import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.OpeningKey;
import dev.hardmem.aead.Sealed;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.crypto.AeadAlgorithm;
import dev.hardmem.crypto.AeadOpeningKey;
import dev.hardmem.crypto.AeadSealingKey;
import dev.hardmem.crypto.Argon2id;
import dev.hardmem.crypto.Blake2b;
import dev.hardmem.crypto.Hkdf;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.nonce.UsedNonce;
import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.Hunt;
import dev.hardmem.testing.ScriptPty;
import dev.hardmem.testing.WordHunt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.crypto.AEADBadTagException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native path end to end in a core dump: a child JVM with a pseudo-terminal ({@code script(1)}) reads a password
 * typed at it, an environment variable ({@link Inputs#environmentWiping}) and a hex text from a {@code char[]}
 * ({@link Encoding#decodeWiping}); seals, opens and fails to open (a tampered tag) with every native AEAD that runs
 * here; derives keys with HKDF-SHA256, keyed BLAKE2b and Argon2id; and, as the contrast, opens a message with JCA's
 * ChaCha20-Poly1305. Each secret is a random pattern of its own. {@code gcore} dumps the child twice: while every
 * secret is open (their pages are {@code MADV_DONTDUMP}), and after every secret and arena is closed (wiped, and the
 * memory handed back). Neither core may hold any native-path pattern, nor any 8-byte piece of one (a register spilled
 * to a stack, the tail of a block left in a temporary buffer). Both hold the controls, and the first holds the
 * plaintext the JDK copied to the heap, by name ({@link #JDK_CHACHA_OPEN}).
 */
class NativeCoreDumpHuntTest {
    /**
     * SunJCE's ChaCha20-Poly1305 decryption copies the ciphertext into a heap array of its own and decrypts it
     * there: the plaintext of the JCA open is in the core, as in the heap dump of {@code HeapDumpHuntTest}
     * ({@code JDK_DECRYPT_COPY}). Its presence shows what the native path avoids.
     */
    static final String JDK_CHACHA_OPEN = "JCA ChaCha20-Poly1305 plaintext, opened (SunJCE's decrypt copy)";

    /** A pattern kept in a plain {@code byte[]}: found, or the hunt is blind. */
    static final String CONTROL_HEAP = "control: a byte[]";

    /**
     * A variable read with {@link Inputs#environment}, which leaves it in the environment block: found, so the
     * absence of the variable read with {@link Inputs#environmentWiping} is the wipe at work.
     */
    static final String CONTROL_ENVIRONMENT = "control: Inputs.environment (the environment block)";

    /**
     * Eight bytes of a random pattern (the pattern itself in guarded memory), copied into a {@code byte[]}: the word
     * hunt finds them, the whole-pattern hunt does not. Proves that one word of a secret left behind is seen.
     */
    static final String CONTROL_WORD = "control: 8 bytes of a pattern, in a byte[]";

    private static final String PROMPT = "core hunt> ";
    private static final String WIPED = "HARDMEM_CORE_HUNT_WIPED";
    private static final String KEPT = "HARDMEM_CORE_HUNT_KEPT";
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

    /**
     * Child: makes and uses every secret, prints {@code absent|text|jdk|control NAME=HEX} for the patterns it made, its
     * pid, then {@code ready: open}; closes everything on the next line typed and prints {@code ready: closed};
     * ends on the line after.
     */
    public static final class Holder {
        private final Map<String, String> lines = new LinkedHashMap<>();
        private final List<AutoCloseable> owned = new ArrayList<>();
        private final SecretArena texts = own(SecretArena.ofConfined());

        public static void main(String[] args) throws Exception {
            Holder h = new Holder();
            h.inputs(Long.parseLong(args[0]));
            h.aead();
            h.kdfs();
            h.jca();
            byte[] control = new byte[32];
            new SecureRandom().nextBytes(control);
            h.lines.put("control " + CONTROL_HEAP, HexFormat.of().formatHex(control));
            MemorySegment pattern = h.random(32);
            byte[] word = pattern.asSlice(8, 8).toArray(ValueLayout.JAVA_BYTE);
            h.lines.put("control " + CONTROL_WORD, Hunt.hex32(pattern));
            StringBuilder out = new StringBuilder();
            h.lines.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
            out.append("pid=").append(ProcessHandle.current().pid()).append('\n');
            System.out.print(out + "ready: open\n");
            System.out.flush();
            awaitLine();
            for (int i = h.owned.size() - 1; i >= 0; i--) {
                h.owned.get(i).close();
            }
            System.out.println("ready: closed");
            System.out.flush();
            awaitLine();
            System.out.println("kept " + (control.length + word.length));
        }

        private <T extends AutoCloseable> T own(T t) {
            owned.add(t);
            return t;
        }

        private void inputs(long seed) throws IOException {
            own(Inputs.terminalPassword(PROMPT, 64));
            own(Inputs.environmentWiping(SecretKind.Key.class, WIPED));
            own(Inputs.environment(SecretKind.Key.class, KEPT));
            own(Encoding.HEX.decodeWiping(SecretKind.Key.class, hexText(seed)));
        }

        private void aead() throws AEADBadTagException {
            MemorySegment aad = MemorySegment.ofArray(new byte[] {1, 2, 3});
            for (AeadAlgorithm a : AeadAlgorithm.values()) {
                if (!a.isAvailable()) {
                    continue;
                }
                Secret<SecretKind.Key> key = own(Secret.random(SecretKind.Key.class, 32));
                put(a + " key", key.read(Hunt::hex32));
                AeadSealingKey sealing = AeadSealingKey.of(a, key);
                AeadOpeningKey opening = AeadOpeningKey.of(a, key);

                // 32 bytes: less than one ChaCha20 block; 1000: the last 32 bytes in a partial block.
                MemorySegment short32 = random(32);
                put(a + " plaintext of 32 bytes, sealed and opened (combined form)", Hunt.hex32(short32));
                MemorySegment sealed = texts.allocate(a.sealedLength(32));
                UsedNonce nonce = sealing.seal(sealing.nonceSequence().next(), short32, aad, sealed);
                MemorySegment back = texts.allocate(32);
                opening.open(nonce, sealed, aad, back);
                check(ConstantTime.equals(back, short32), a + " round trip");

                MemorySegment long1000 = random(1000);
                put(a + " plaintext of 1000 bytes, its last 32, sealed and opened (wire form)",
                        Hunt.hex32(long1000.asSlice(1000 - 32)));
                MemorySegment wire = texts.allocate(a.wireLength(1000));
                sealing.sealToWire(long1000, aad, wire);
                MemorySegment back1000 = texts.allocate(1000);
                opening.openWire(wire, aad, back1000);
                check(ConstantTime.equals(back1000, long1000), a + " wire round trip");

                MemorySegment refused = random(32);
                put(a + " plaintext, open failed (tampered tag)", Hunt.hex32(refused));
                MemorySegment tampered = texts.allocate(a.wireLength(32));
                sealing.sealToWire(refused, aad, tampered);
                long last = tampered.byteSize() - 1;
                tampered.set(ValueLayout.JAVA_BYTE, last, (byte) (tampered.get(ValueLayout.JAVA_BYTE, last) ^ 1));
                MemorySegment destination = texts.allocate(32);
                try {
                    opening.openWire(tampered, aad, destination);
                    throw new AssertionError(a + ": a tampered message opened");
                } catch (AEADBadTagException expected) {
                    check(destination.mismatch(texts.allocate(32)) == -1, a + ": the failed open wrote");
                }
            }
        }

        private void kdfs() {
            MemorySegment salt = MemorySegment.ofArray(new byte[] {1, 2, 3});
            MemorySegment info = MemorySegment.ofArray("core hunt".getBytes(StandardCharsets.US_ASCII));
            Secret<SecretKind.Seed> ikm = own(Secret.random(SecretKind.Seed.class, 32));
            put("HKDF-SHA256 input keying material", ikm.read(Hunt::hex32));
            Secret<SecretKind.Key> prk = own(Hkdf.SHA256.extract(salt, ikm));
            put("HKDF-SHA256 pseudorandom key (made again inside derive)", prk.read(Hunt::hex32));
            Secret<SecretKind.Key> okm = own(Hkdf.SHA256.derive(ikm, salt, info, SecretKind.Key.class, 32));
            put("HKDF-SHA256 output keying material", okm.read(Hunt::hex32));

            Secret<SecretKind.Key> macKey = own(Secret.random(SecretKind.Key.class, 32));
            put("BLAKE2b key", macKey.read(Hunt::hex32));
            Secret<SecretKind.Key> subkey = own(Blake2b.derive(macKey, info, SecretKind.Key.class, 32));
            put("BLAKE2b derived key", subkey.read(Hunt::hex32));

            SecureRandom rng = new SecureRandom();
            char[] typed = new char[32];
            for (int i = 0; i < typed.length; i++) {
                typed[i] = (char) ('!' + rng.nextInt(94));
            }
            StringBuilder utf16 = new StringBuilder();
            for (char c : typed) {
                utf16.append(String.format("%02x00", (int) c));
            }
            lines.put("text Argon2id password (the char[], UTF-16)", utf16.substring(0, 64));
            lines.put("text Argon2id password (the char[], UTF-16), second half", utf16.substring(64));
            Secret<SecretKind.Password> password = own(Secret.fromCharsWiping(SecretKind.Password.class, typed));
            put("Argon2id password (UTF-8, in the secret)", password.read(Hunt::hex32));
            Secret<SecretKind.Key> derived = own(Argon2id.of(2, 1 << 20).deriveKey(password,
                    MemorySegment.ofArray(new byte[Argon2id.SALT_LENGTH]), SecretKind.Key.class, 32));
            put("Argon2id derived key", derived.read(Hunt::hex32));
        }

        private void jca() throws AEADBadTagException {
            Secret<SecretKind.Key> key = own(Secret.random(SecretKind.Key.class, 32));
            put("JCA ChaCha20-Poly1305 key", key.read(Hunt::hex32));
            MemorySegment plaintext = random(32);
            lines.put("jdk " + JDK_CHACHA_OPEN, Hunt.hex32(plaintext));
            Sealed sealed = SealingKey.of(Algorithm.CHACHA20_POLY1305, key).seal(plaintext, MemorySegment.NULL);
            MemorySegment back = texts.allocate(32);
            OpeningKey.of(Algorithm.CHACHA20_POLY1305, key).open(sealed.nonce(),
                    MemorySegment.ofArray(sealed.ciphertext()), MemorySegment.NULL, back);
            check(ConstantTime.equals(back, plaintext), "JCA round trip");
        }

        private void put(String name, String hex) {
            lines.put("absent " + name, hex);
        }

        private MemorySegment random(int size) {
            MemorySegment s = texts.allocate(size);
            Libc.getrandom(s);
            return s;
        }

        private static void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError(what);
            }
        }

        private static void awaitLine() throws IOException {
            for (int b; (b = System.in.read()) >= 0 && b != '\n'; ) {
                Thread.onSpinWait();
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

    private static byte[] utf16(char[] text) {
        byte[] b = new byte[text.length * 2];
        for (int i = 0; i < text.length; i++) {
            b[2 * i] = (byte) text[i];
        }
        return b;
    }

    /** One core: how often each whole pattern occurs, and how many of its 8-byte windows. */
    private record Core(Map<String, Long> whole, Map<String, Long> words) {
    }

    /**
     * Dumps {@code pid} with {@code gcore}, hunts the core for {@code whole} patterns and for the 8-byte windows of
     * {@code words} (those with enough entropy per word), then deletes it.
     */
    private static Core dump(Path dir, String name, long pid, Map<String, byte[]> whole, Map<String, byte[]> words)
            throws Exception {
        Path core = dir.resolve(name + "." + pid);
        try {
            ChildJvm.Result g = ChildJvm.exec(List.of("gcore", "-o", dir.resolve(name).toString(),
                    Long.toString(pid)));
            assertTrue(Files.exists(core), "this machine could not make a core with gcore (gdb): " + g.output());
            return new Core(Hunt.count(core, whole), WordHunt.count(core, words));
        } finally {
            Files.deleteIfExists(core);
        }
    }

    /** What this test finds in the core is named where the results are documented. */
    @Test
    void theDocsNameWhatTheCoreHolds() throws Exception {
        for (Path doc : List.of(Path.of("docs/crypto.md"), Path.of("docs/threat-model.md"))) {
            String page = Files.readString(doc);
            for (String name : List.of("JDK_CHACHA_OPEN", "CONTROL_HEAP", "CONTROL_ENVIRONMENT", "CONTROL_WORD")) {
                assertTrue(page.contains("`" + name + "`"), doc + " does not name " + name);
            }
        }
    }

    @Test
    @Timeout(300)
    void noNativePathPatternNorAnyWordOfOneIsInTheCoreOpenOrClosedButTheJdkCopyAndTheControlsAre()
            throws Exception {
        SecureRandom rng = new SecureRandom();
        String password = randomText(rng);
        String wiped = randomText(rng);
        String kept = randomText(rng);
        long seed = rng.nextLong();
        // Absent, whole and word by word: random bytes, and text of 62 letters (47 bits a word).
        Map<String, byte[]> absent = new LinkedHashMap<>();
        absent.put("Inputs.terminalPassword (typed through a pseudo-terminal)",
                password.getBytes(StandardCharsets.US_ASCII));
        absent.put("Inputs.environmentWiping", wiped.getBytes(StandardCharsets.US_ASCII));
        absent.put("Encoding.HEX.decodeWiping", HexFormat.of().parseHex(new String(hexText(seed))));
        // Absent, whole only: UTF-16 text has too little entropy in 8 bytes (4 hex digits: 18 bits) to hunt words.
        Map<String, byte[]> text = new LinkedHashMap<>();
        text.put("Encoding.HEX.decodeWiping (the char[], UTF-16)", utf16(hexText(seed)));
        Map<String, byte[]> present = new LinkedHashMap<>();
        present.put(CONTROL_ENVIRONMENT, kept.getBytes(StandardCharsets.US_ASCII));

        Path dir = Files.createTempDirectory("hardmem-native-core");
        // Smaller reservations make a smaller core (465 MB, not 2.5 GB): glibc's per-thread malloc arenas (64 MiB
        // each) and the JVM's class space and code cache are reserved address space that gcore writes out in full.
        Map<String, String> env = Map.of(WIPED, wiped, KEPT, kept, "MALLOC_ARENA_MAX", "2");
        List<String> jvm = List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:CompressedClassSpaceSize=16m",
                "-XX:ReservedCodeCacheSize=32m");
        try (ScriptPty pty = new ScriptPty(env, jvm, Holder.class, Long.toString(seed))) {
            pty.waitFor(PROMPT);
            pty.type(password + "\n");
            pty.waitFor("ready: open");
            long pid = -1;
            for (String line : pty.shown().split("\r?\n")) {
                int eq = line.indexOf('=');
                int space = line.indexOf(' ');
                if (line.startsWith("pid=")) {
                    pid = Long.parseLong(line.substring(4).strip());
                } else if (eq > space && space > 0) {
                    Map<String, byte[]> into = switch (line.substring(0, space)) {
                        case "absent" -> absent;
                        case "text" -> text;
                        case "jdk", "control" -> present;
                        default -> throw new AssertionError("unexpected line: " + line);
                    };
                    into.put(line.substring(space + 1, eq), HexFormat.of().parseHex(line.substring(eq + 1).strip()));
                }
            }
            assertTrue(pid > 0, pty.shown());
            Map<String, byte[]> whole = new LinkedHashMap<>(absent);
            whole.putAll(text);
            whole.putAll(present);
            Map<String, byte[]> words = new LinkedHashMap<>(absent);
            words.putAll(present);
            Core open = dump(dir, "open", pid, whole, words);
            pty.type("close\n");
            pty.waitFor("ready: closed");
            Core closed = dump(dir, "closed", pid, whole, words);
            pty.type("\n");
            String shown = pty.finish();
            assertTrue(shown.contains("kept 40") && shown.contains("EXIT=0"), shown);

            StringBuilder report = new StringBuilder("whole pattern, 8-byte windows: secrets open | closed\n");
            whole.keySet().forEach(k -> report.append(String.format("%5d %5s | %5d %5s  %s%n", open.whole().get(k),
                    open.words().getOrDefault(k, -1L), closed.whole().get(k), closed.words().getOrDefault(k, -1L),
                    k)));
            System.out.print(report);
            assertEquals(4, present.size(), shown);
            assertTrue(absent.size() >= 3 + 2 * 4 + 8, "too few patterns: " + shown);
            for (Core core : List.of(open, closed)) {
                String which = core == open ? "secrets open: " : "secrets closed: ";
                assertTrue(core.whole().get(CONTROL_HEAP) > 0, which + CONTROL_HEAP + ": the hunt is blind\n"
                        + report);
                assertTrue(core.whole().get(CONTROL_ENVIRONMENT) > 0, which + CONTROL_ENVIRONMENT + "\n" + report);
                assertEquals(0L, core.whole().get(CONTROL_WORD), which + CONTROL_WORD + "\n" + report);
                assertTrue(core.words().get(CONTROL_WORD) > 0, which + CONTROL_WORD + ": the word hunt is blind\n"
                        + report);
                for (String k : text.keySet()) {
                    assertEquals(0L, core.whole().get(k), which + k + " is in the core\n" + report);
                }
                for (String k : absent.keySet()) {
                    assertEquals(0L, core.whole().get(k), which + k + " is in the core\n" + report);
                    assertEquals(0L, core.words().get(k), which + "8 bytes of " + k + " are in the core\n" + report);
                }
            }
            assertTrue(open.whole().get(JDK_CHACHA_OPEN) > 0, JDK_CHACHA_OPEN + ": SunJCE no longer leaves the"
                    + " plaintext on the heap; update docs/crypto.md and docs/threat-model.md\n" + report);
        } finally {
            Files.deleteIfExists(dir);
        }
    }
}
