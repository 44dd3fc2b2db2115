package dev.hardmem.proof;

import dev.hardmem.Encoding;
import dev.hardmem.Inputs;
import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.Hunt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inputs of {@link Inputs} and {@link Encoding} in a core dump ({@code gcore} of a live child, as
 * {@link CoreDumpHuntTest} does): the secrets they made are absent (their pages are {@code MADV_DONTDUMP}), and so
 * is an environment variable read with {@link Inputs#environmentWiping}. A variable read with
 * {@link Inputs#environment} is still in the environment block, which every core holds: that is what the wiping
 * form is for, and it is this test's control, with a plain {@code byte[]}.
 */
class InputsCoreDumpHuntTest {
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /** Child: reads the inputs, prints {@code ready}, holds everything until its stdin closes. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            Secret<SecretKind.Key> kept = Inputs.environment(SecretKind.Key.class, "HARDMEM_CORE_KEPT");
            Secret<SecretKind.Key> wiped = Inputs.environmentWiping(SecretKind.Key.class, "HARDMEM_CORE_WIPED");
            Secret<SecretKind.Key> file = Inputs.file(SecretKind.Key.class, Path.of(args[0]), 64);
            char[] text = new char[64];
            for (int i = 0; i < text.length; i++) {
                text[i] = args[1].charAt(i);
            }
            Secret<SecretKind.Key> hex = Encoding.HEX.decodeWiping(SecretKind.Key.class, text);
            byte[] control = new byte[32];
            new SecureRandom().nextBytes(control);
            System.out.println("control=" + HexFormat.of().formatHex(control));
            System.out.println("ready");
            System.out.flush();
            while (System.in.read() >= 0) {
                Thread.onSpinWait();
            }
            System.out.println(List.of(kept, wiped, file, hex, control).size());
        }
    }

    private static String randomText(SecureRandom rng) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            b.append(ALPHABET.charAt(rng.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }

    @Test
    @Timeout(300)
    void theSecretsAndTheWipedVariableAreAbsentTheKeptVariableAndTheControlAreThere() throws Exception {
        SecureRandom rng = new SecureRandom();
        String kept = randomText(rng);
        String wiped = randomText(rng);
        byte[] key = new byte[32];
        rng.nextBytes(key);
        byte[] hexKey = new byte[32];
        rng.nextBytes(hexKey);
        Path dir = Files.createTempDirectory("hardmem-inputs-core");
        Path keyFile = dir.resolve("key");
        Files.write(keyFile, key);
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        // The hex text travels as an argument, so its characters are in the core (argv); its decoded bytes are not.
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.javaBinary(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx64m", "-XX:+UseSerialGC", "-XX:-CreateCoredumpOnCrash", "-cp",
                System.getProperty("java.class.path"), Holder.class.getName(), keyFile.toString(),
                HexFormat.of().formatHex(hexKey)).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("HARDMEM_CORE_KEPT", kept);
        pb.environment().put("HARDMEM_CORE_WIPED", wiped);
        Process p = pb.start();
        long pid = p.pid();
        Path core = dir.resolve("core." + pid);
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            Map<String, byte[]> patterns = new LinkedHashMap<>();
            String line;
            while ((line = r.readLine()) != null && !line.equals("ready")) {
                if (line.startsWith("control=")) {
                    patterns.put("control byte[]", HexFormat.of().parseHex(line.substring(8)));
                }
            }
            assertEquals("ready", line, "the child did not get ready");
            patterns.put("Inputs.environment (the environment block)", kept.getBytes(StandardCharsets.US_ASCII));
            patterns.put("Inputs.environmentWiping", wiped.getBytes(StandardCharsets.US_ASCII));
            patterns.put("Inputs.file", key);
            patterns.put("Encoding.HEX.decodeWiping", hexKey);
            ChildJvm.Result g = ChildJvm.exec(List.of("gcore", "-o", dir.resolve("core").toString(),
                    Long.toString(pid)));
            assertTrue(Files.exists(core), "this machine could not make a core with gcore (gdb): " + g.output());
            Map<String, Long> found = Hunt.count(core, patterns);
            assertTrue(found.get("control byte[]") > 0, "control: the byte[] must be in the core, or the hunt is"
                    + " blind");
            assertTrue(found.get("Inputs.environment (the environment block)") > 0, "control: a variable that was"
                    + " not wiped stays in the environment block, which the core holds");
            assertEquals(0L, found.get("Inputs.environmentWiping"), "the wiped variable was found in the core");
            assertEquals(0L, found.get("Inputs.file"), "the file's bytes were found in the core");
            assertEquals(0L, found.get("Encoding.HEX.decodeWiping"), "the decoded bytes were found in the core");
        } finally {
            p.getOutputStream().close();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            Files.deleteIfExists(core);
            Files.deleteIfExists(keyFile);
            Files.deleteIfExists(dir);
        }
    }
}
