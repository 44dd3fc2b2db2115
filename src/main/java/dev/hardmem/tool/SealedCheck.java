package dev.hardmem.tool;

import dev.hardmem.ConstantTime;
import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.os.Smaps;
import dev.hardmem.sealed.SealedSecret;
import dev.hardmem.sealed.SealingMode;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The part of the self-check that proves sealed secrets work on this process, through their public API alone: a
 * 32-byte secret sealed in each mode, read back, every live sealed secret rekeyed, read back again, closed; and the
 * mappings the key material landed in.
 */
final class SealedCheck {
    private static final long SIZE = 32;

    private SealedCheck() {
    }

    /**
     * {@return the checks, or none where sealed secrets cannot be made (the report's row says why)}
     *
     * @param memfdSecretWorks whether {@code memfd_secret(2)} works here, so that the key material must be on it
     */
    static List<Check> run(boolean memfdSecretWorks) {
        if (!SealedSecret.isAvailable()) {
            return List.of();
        }
        return checks(memfdSecretWorks);
    }

    /** One sealed secret and the ordinary secret it was sealed from, to compare it with. */
    private record Pair(Secret<SecretKind.Key> plain, SealedSecret<SecretKind.Key> sealed) {
        boolean readsBackEqual() {
            return sealed.read(bytes -> ConstantTime.equals(plain, bytes));
        }
    }

    private static List<Check> checks(boolean memfdSecretWorks) {
        List<Check> checks = new ArrayList<>();
        List<Pair> pairs = new ArrayList<>();
        try {
            for (SealingMode mode : SealingMode.values()) {
                String name = "sealed secret (" + mode.name().toLowerCase(Locale.ROOT) + "): sealed, read back";
                try {
                    Pair p = seal(mode);
                    pairs.add(p);
                    boolean same = p.readsBackEqual();
                    checks.add(new Check(name, same, same ? SIZE + " bytes, equal to those sealed"
                            : "the bytes read back differ from those sealed"));
                } catch (RuntimeException | Error e) {
                    checks.add(new Check(name, false, describe(e)));
                    return checks;
                }
            }
            checks.add(keyMaterial(memfdSecretWorks));
            checks.add(rekeyAndClose(pairs));
        } finally {
            for (Pair p : pairs) {
                if (!p.sealed().isDestroyed()) {
                    p.sealed().close();
                }
                p.plain().close();
            }
        }
        return checks;
    }

    private static Pair seal(SealingMode mode) {
        Secret<SecretKind.Key> plain = Secret.random(SecretKind.Key.class, SIZE);
        try {
            return new Pair(plain, SealedSecret.withContents(SecretKind.Key.class, SIZE, mode,
                    into -> plain.read(from -> into.copyFrom(from))));
        } catch (RuntimeException | Error e) {
            plain.close();
            throw e;
        }
    }

    /**
     * The key material is the only memory of this process on {@code memfd_secret}: the default allocator and the
     * sealed secrets' storage are anonymous. Its pages are shared mappings ({@code rw-s}), locked and not dumped,
     * and the kernel refuses to read them on anyone's behalf: a read through {@code /proc/self/mem} (which root's
     * tools use on other processes) fails.
     */
    private static Check keyMaterial(boolean memfdSecretWorks) {
        int memfd = 0;
        int readable = 0;
        for (Smaps.Mapping m : Smaps.read()) {
            if (m.perms().equals("rw-s") && m.hasFlags("lo", "dd")) {
                memfd++;
                readable += readableThroughProcMem(m.start()) ? 1 : 0;
            }
        }
        if (memfdSecretWorks) {
            // The control: the same read of ordinary memory works, so a refusal above is the kernel's doing.
            ByteBuffer control = ByteBuffer.allocateDirect(1);
            boolean controlRead = readableThroughProcMem(MemorySegment.ofBuffer(control).address());
            String evidence = memfd == 0 ? "none: the key material is on anonymous pages"
                    : memfd + " mappings rw-s VmFlags dd lo; /proc/self/mem " + (readable == 0
                    ? "cannot read them" : "reads " + readable + " of them")
                    + (controlRead ? " (it reads ordinary memory)" : ", nor ordinary memory: no proof");
            return new Check("sealing key material on memfd_secret pages", memfd > 0 && readable == 0 && controlRead,
                    evidence);
        }
        return new Check("sealing key material on anonymous pages", memfd == 0, memfd == 0
                ? "memfd_secret is unavailable here" : memfd + " memfd_secret mappings, which should not exist");
    }

    /** {@return whether one byte at {@code address} can be read through {@code /proc/self/mem}} The byte is wiped. */
    private static boolean readableThroughProcMem(long address) {
        ByteBuffer one = ByteBuffer.allocateDirect(1);
        try (FileChannel mem = FileChannel.open(Path.of("/proc/self/mem"), StandardOpenOption.READ)) {
            return mem.read(one, address) == 1;
        } catch (IOException refused) {
            return false;
        } finally {
            one.put(0, (byte) 0);
        }
    }

    /** Rekeys every live sealed secret (in this process: the ones above), reads them back, closes them. */
    private static Check rekeyAndClose(List<Pair> pairs) {
        String name = "rekey: re-sealed under new keys, read back, closed";
        try {
            long moved = SealedSecret.rekey();
            int equal = 0;
            for (Pair p : pairs) {
                equal += p.readsBackEqual() ? 1 : 0;
                p.sealed().close();
            }
            return new Check(name, moved == pairs.size() && equal == pairs.size(), moved + " of " + pairs.size()
                    + " moved, " + equal + " of " + pairs.size() + " equal after");
        } catch (RuntimeException | Error e) {
            return new Check(name, false, describe(e));
        }
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
