package dev.hardmem;

import dev.hardmem.SecretKind.Key;
import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Inputs#file} and {@link Inputs#environment}: what each accepts, what each refuses, and how it says so. */
class InputsTest {
    private Path dir;

    @BeforeEach
    void makeDirectory() throws IOException {
        dir = Files.createTempDirectory("hardmem-inputs");
    }

    @AfterEach
    void removeDirectory() throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private Path file(String name, byte[] contents, String permissions) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, contents);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(permissions));
        return p;
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void aFileOfTheOwnerOnlyIsReadWholeIntoASecretOfExactlyItsSize() throws IOException {
        for (String mode : List.of("rw-------", "r--------")) {
            byte[] key = random(32);
            Path p = file("key-" + mode, key, mode);
            try (Secret<Key> s = Inputs.file(Key.class, p, 32)) {
                assertEquals(32, s.size());
                assertArrayEquals(key, s.insecureCopyToHeap());
            }
            try (Secret<Key> s = Inputs.file(Key.class, p, 4096)) {
                assertEquals(32, s.size(), "the size is the file's, not the maximum");
            }
        }
    }

    @Test
    void permissionsWiderThanTheOwnerAreRefusedNamingTheModeAndTheFix() throws IOException {
        for (String mode : List.of("rw-r--r--", "rw-r-----", "rw----r--", "rw--w----", "rw------x")) {
            Path p = file("wide", random(16), mode);
            FileSystemException e = assertThrows(FileSystemException.class, () -> Inputs.file(Key.class, p, 64));
            String octal = String.format("%04o", PosixFilePermissions.fromString(mode).stream()
                    .mapToInt(x -> 1 << (8 - x.ordinal())).sum());
            assertTrue(e.getMessage().contains(octal) && e.getMessage().contains("chmod"), e.getMessage());
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            Files.delete(p);
        }
    }

    @Test
    void aSymbolicLinkIsRefusedEvenToAGoodFileAndTheRealPathIsAccepted() throws IOException {
        Path target = file("target", random(32), "rw-------");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        FileSystemException e = assertThrows(FileSystemException.class, () -> Inputs.file(Key.class, link, 64));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        try (Secret<Key> s = Inputs.file(Key.class, link.toRealPath(), 64)) {
            assertEquals(32, s.size());
        }
    }

    @Test
    void aFileLargerThanTheMaximumOrEmptyIsRefusedNamingTheSizes() throws IOException {
        Path big = file("big", random(33), "rw-------");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Inputs.file(Key.class, big, 32));
        assertTrue(e.getMessage().contains("33") && e.getMessage().contains("32"), e.getMessage());
        Path empty = file("empty", new byte[0], "rw-------");
        e = assertThrows(IllegalArgumentException.class, () -> Inputs.file(Key.class, empty, 32));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void aMissingFileADirectoryAndADeviceAreRefused() throws IOException {
        assertThrows(NoSuchFileException.class, () -> Inputs.file(Key.class, dir.resolve("none"), 32));
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("rwx------"));
        FileSystemException e = assertThrows(FileSystemException.class, () -> Inputs.file(Key.class, sub, 32));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        e = assertThrows(FileSystemException.class, () -> Inputs.file(Key.class, Path.of("/dev/null"), 32));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void badMaximumsAndOtherFileSystemsAreRefused() throws IOException {
        Path p = file("key", random(8), "rw-------");
        for (long bad : new long[] {0, -1, Long.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Inputs.file(Key.class, p, bad));
            assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        }
        Path zip = dir.resolve("z.zip");
        try (var fs = FileSystems.newFileSystem(zip, Map.of("create", "true"))) {
            assertThrows(IllegalArgumentException.class, () -> Inputs.file(Key.class, fs.getPath("/key"), 8));
        }
    }

    /**
     * Child: reads {@code HARDMEM_KEEP} and then {@code HARDMEM_WIPE} (wiping) from its environment, and reports
     * what it got, what {@code /proc/self/environ} still shows, and what missing and empty variables throw.
     */
    public static final class Environment {
        public static void main(String[] args) throws Exception {
            try (Secret<Key> keep = Inputs.environment(Key.class, "HARDMEM_KEEP");
                 Secret<Key> wipe = Inputs.environmentWiping(Key.class, "HARDMEM_WIPE")) {
                System.out.println("keep=" + HexFormat.of().formatHex(keep.insecureCopyToHeap()));
                System.out.println("wipe=" + HexFormat.of().formatHex(wipe.insecureCopyToHeap()));
            }
            String environ = new String(Files.readAllBytes(Path.of("/proc/self/environ")),
                    StandardCharsets.ISO_8859_1);
            System.out.println("environ has keep=" + environ.contains("HARDMEM_KEEP=keep-me-1234"));
            System.out.println("environ has wipe=" + environ.contains("wipe-me-5678"));
            System.out.println("environ has zeros=" + environ.contains("HARDMEM_WIPE=\0\0\0\0\0\0\0\0\0\0\0\0"));
            List<String> outcomes = new ArrayList<>();
            for (String name : List.of("HARDMEM_WIPE", "HARDMEM_ABSENT", "HARDMEM_EMPTY", "A=B", "")) {
                try {
                    Inputs.environment(Key.class, name).close();
                    outcomes.add(name + ":read");
                } catch (RuntimeException e) {
                    outcomes.add(name + ":" + e.getClass().getSimpleName() + ":" + e.getMessage());
                }
            }
            outcomes.forEach(System.out::println);
        }
    }

    @Test
    void anEnvironmentVariableIsReadAndTheWipingFormClearsItInPlaceAndUnsetsIt() throws Exception {
        List<String> cmd = List.of("env", "HARDMEM_KEEP=keep-me-1234", "HARDMEM_WIPE=wipe-me-5678",
                "HARDMEM_EMPTY=");
        ChildJvm.Result r = ChildJvm.run(cmd, List.of(), Environment.class);
        assertEquals(0, r.exitCode(), r.output());
        String out = r.stdout();
        assertTrue(out.contains("keep=" + hex("keep-me-1234")), r.output());
        assertTrue(out.contains("wipe=" + hex("wipe-me-5678")), r.output());
        assertTrue(out.contains("environ has keep=true"), "the control: /proc/self/environ shows what is left\n"
                + r.output());
        assertTrue(out.contains("environ has wipe=false"), r.output());
        assertTrue(out.contains("environ has zeros=true"), r.output());
        assertTrue(out.contains("HARDMEM_WIPE:NoSuchElementException:environment variable HARDMEM_WIPE is not set"),
                "the wiping form unsets the variable\n" + r.output());
        assertTrue(out.contains("HARDMEM_ABSENT:NoSuchElementException:environment variable HARDMEM_ABSENT is not"
                + " set"), r.output());
        assertTrue(out.contains("HARDMEM_EMPTY:IllegalArgumentException:environment variable HARDMEM_EMPTY is"
                + " empty"), r.output());
        assertTrue(out.contains("A=B:IllegalArgumentException"), r.output());
        assertTrue(out.contains(":IllegalArgumentException:not the name of an environment variable: ''"),
                r.output());
        assertFalse(out.contains(":read"), r.output());
    }

    private static String hex(String s) {
        return HexFormat.of().formatHex(s.getBytes(StandardCharsets.US_ASCII));
    }
}
