package dev.hardmem.proof;

import dev.hardmem.Encoding;
import dev.hardmem.proof.Census.After;
import dev.hardmem.proof.Census.Bad;
import dev.hardmem.proof.Census.Fit;
import dev.hardmem.proof.Census.Kind;
import dev.hardmem.proof.Census.Rule;
import dev.hardmem.proof.Census.Variant;
import dev.hardmem.testing.Dummies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hardmem.proof.Census.IAE;
import static dev.hardmem.proof.Census.SILENT_HUGE;
import static dev.hardmem.proof.Census.bad;
import static dev.hardmem.proof.Census.rule;
import static dev.hardmem.proof.Census.sizes;
import static dev.hardmem.proof.Census.throwing;

/** The census cases of the inputs of package {@code dev.hardmem}: {@code Encoding} and {@code Inputs}. */
final class InputCases implements Census.Table {
    private static final String DECODE_SEGMENT = "Encoding#decode(Class,MemorySegment)";
    private static final String ENCODE_SECRET = "Encoding#encode(Secret,MemorySegment)";
    private static final String ENCODE_SEGMENT = "Encoding#encode(MemorySegment,MemorySegment)";

    @Override
    public Map<String, List<Bad>> numeric() {
        Map<String, List<Bad>> n = new HashMap<>();
        n.put("Encoding#encodedLength(long)[0]", sizes(long.class, 0, throwing(IAE,
                "documented: 'if its encoding would not fit in a long'"), false));
        n.put("Inputs#terminalPassword(String,long)[1]", sizes(long.class, 1, throwing(IAE, SILENT_HUGE), false));
        n.put("Inputs#file(Class,Path,long)[2]", sizes(long.class, 1, throwing(IAE,
                "documented: 'above 64 TiB'"), false));
        return n;
    }

    /** {@return a file of 16 bytes with {@code permissions}, or a link to one, or a directory, deleted at exit} */
    private static Path path(String what) throws Exception {
        Path dir = Files.createTempDirectory("hardmem-census");
        dir.toFile().deleteOnExit();
        Path p = dir.resolve(what);
        if (what.equals("directory")) {
            Files.createDirectory(p);
        } else if (what.equals("link")) {
            Path target = Dummies.of(Path.class).map(Path.class::cast).orElseThrow();
            Files.createSymbolicLink(p, target);
        } else if (!what.equals("missing")) {
            Files.write(p, new byte[16]);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(what));
        }
        p.toFile().deleteOnExit();
        return p;
    }

    @Override
    public Map<Class<?>, List<Bad>> typed() {
        Map<Class<?>, List<Bad>> t = new LinkedHashMap<>();
        t.put(CharSequence.class, List.of(bad(Kind.EMPTY, "an empty text", s -> "",
                throwing(IAE, "documented: 'if text is empty'"))));
        t.put(Path.class, List.of(
                bad(Kind.OUT_OF_RANGE, "a file of 16 bytes, mode 0644", s -> path("rw-r--r--"),
                        throwing(FileSystemException.class, "documented: 'readable or writable by its group or by"
                                + " others'")),
                bad(Kind.ESCAPING, "a symbolic link to a good file", s -> path("link"),
                        throwing(FileSystemException.class, "documented: 'if it is a symbolic link'")),
                bad(Kind.OUT_OF_RANGE, "a directory", s -> path("directory"),
                        throwing(FileSystemException.class, "documented: 'not a regular file'")),
                bad(Kind.FAILING, "a file that does not exist", s -> path("missing"),
                        throwing(NoSuchFileException.class, "documented: 'if there is no such file'"))));
        return t;
    }

    @Override
    public Map<Class<?>, List<Variant>> receivers() {
        return Map.of(Encoding.class, Arrays.stream(Encoding.values())
                .map(e -> new Variant(e.name(), s -> e)).toList());
    }

    /** Fills the destination of an encode with room for the text of 16 bytes, in the receiver's encoding. */
    private static final Fit ROOM = (s, args) -> args[1] = Arena.ofAuto().allocate(64);

    @Override
    public Map<String, Fit> fits() {
        return Map.of(
                DECODE_SEGMENT, (s, args) -> {
                    Encoding e = (Encoding) s.receiver;
                    MemorySegment text = Arena.ofAuto().allocate(e.encodedLength(16));
                    e.encode(Arena.ofAuto().allocate(16), text);
                    args[1] = text;
                },
                ENCODE_SECRET, ROOM,
                ENCODE_SEGMENT, ROOM);
    }

    @Override
    public List<Rule> rules() {
        List<Rule> r = new ArrayList<>();
        for (Encoding e : Encoding.values()) {
            String v = e.name();
            r.add(rule("Encoding#decode(Class,char[])", "[1]", "an empty array", v, throwing(IAE,
                    "documented: 'if text is empty'")));
            r.add(rule("Encoding#decodeWiping(Class,char[])", "[1]", "an empty array", v, throwing(IAE,
                    "documented: 'if text is empty'")));
            r.add(rule(ENCODE_SECRET, "[1]", "a read-only view", v, throwing(UnsupportedOperationException.class,
                    "documented: 'if destination is read-only'")));
            r.add(rule(ENCODE_SEGMENT, "[1]", "a read-only view", v, throwing(UnsupportedOperationException.class,
                    "documented: 'if destination is read-only'")));
        }
        return r;
    }

    @Override
    public Map<String, After> after() {
        return Map.of("Encoding#decodeWiping(Class,char[])", (s, o) -> {
            if (o.thrown() == null || !(s.args[1] instanceof char[] c)) {
                return null;
            }
            for (char x : c) {
                if (x != 0) {
                    return "the text was not wiped although the method failed (documented: 'text is wiped ..."
                            + " also when this method fails')";
                }
            }
            return null;
        });
    }
}
