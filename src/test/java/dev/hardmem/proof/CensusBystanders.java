package dev.hardmem.proof;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.guarded.Allocation;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.sealed.SealedSecret;
import dev.hardmem.sealed.SealingMode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Secrets that are live before the first case of the census and must come through every case intact: secrets of
 * several sizes (slab and isolated), arena segments and allocations of the shared allocator, and sealed secrets of
 * each mode (which a case that starts a periodic rekey moves), filled with known bytes.
 */
final class CensusBystanders {
    final List<Secret<?>> secrets = new ArrayList<>();
    final List<byte[]> digests = new ArrayList<>();
    final SecretArena arena = SecretArena.ofConfined();
    final List<MemorySegment> segments = new ArrayList<>();
    final List<Allocation> allocations = new ArrayList<>();
    final List<SealedSecret<?>> sealed = new ArrayList<>();
    final List<byte[]> sealedDigests = new ArrayList<>();
    /** Address to size of every block a bystander holds. */
    final Map<Long, Long> blocks = new LinkedHashMap<>();

    CensusBystanders() {
        secrets.add(Secret.random(SecretKind.Key.class, 32));
        secrets.add(Secret.random(SecretKind.Seed.class, 3000));
        secrets.add(Secret.random(SecretKind.Key.class, 5000));
        secrets.add(Secret.random(SecretKind.Seed.class, 70_000));
        secrets.add(Secret.fromCharsWiping(SecretKind.Password.class, "correct horse battery".toCharArray()));
        for (Secret<?> s : secrets) {
            digests.add(digest(s));
            long[] at = s.read(m -> new long[] {m.address(), m.byteSize()});
            blocks.put(at[0], at[1]);
        }
        int seed = 1;
        for (long size : new long[] {1, 16, 100, 4096, 5000, 70_000}) {
            MemorySegment m = arena.allocate(size);
            fill(m, seed++);
            segments.add(m);
            blocks.put(m.address(), m.byteSize());
        }
        for (long size : new long[] {48, 8192}) {
            Allocation a = GuardedAllocator.shared().allocate(size);
            fill(a.segment(), seed++);
            allocations.add(a);
            blocks.put(a.segment().address(), a.segment().byteSize());
        }
        for (SealingMode mode : SealingMode.values()) {
            SealedSecret<?> s = SealedSecret.random(SecretKind.Key.class, 48, mode);
            sealed.add(s);
            sealedDigests.add(s.read(CensusBystanders::sha256));
        }
    }

    static void fill(MemorySegment m, int seed) {
        for (long i = 0; i < m.byteSize(); i++) {
            m.set(ValueLayout.JAVA_BYTE, i, pattern(i, seed));
        }
    }

    static byte pattern(long i, int seed) {
        return (byte) (i * 31 + seed * 7 + 1);
    }

    static byte[] digest(Secret<?> s) {
        return s.read(CensusBystanders::sha256);
    }

    private static byte[] sha256(MemorySegment m) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(m.asByteBuffer());
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@return what is no longer as it was} */
    List<String> check() {
        List<String> lost = new ArrayList<>();
        for (int i = 0; i < secrets.size(); i++) {
            Secret<?> s = secrets.get(i);
            if (s.isDestroyed()) {
                lost.add("bystander " + s + " was closed");
            } else if (!Arrays.equals(digests.get(i), digest(s))) {
                lost.add("bystander " + s + " no longer holds its bytes");
            }
        }
        for (int i = 0; i < sealed.size(); i++) {
            SealedSecret<?> s = sealed.get(i);
            if (s.isDestroyed()) {
                lost.add("bystander " + s + " was closed");
            } else if (!Arrays.equals(sealedDigests.get(i), s.read(CensusBystanders::sha256))) {
                lost.add("bystander " + s + " no longer holds its bytes");
            }
        }
        int seed = 1;
        for (MemorySegment m : segments) {
            if (!holds(m, seed++)) {
                lost.add("bystander arena segment of " + m.byteSize() + " bytes no longer holds its pattern");
            }
        }
        for (Allocation a : allocations) {
            if (!holds(a.segment(), seed++)) {
                lost.add("bystander " + a + " no longer holds its pattern");
            }
        }
        return lost;
    }

    static boolean holds(MemorySegment m, int seed) {
        for (long i = 0; i < m.byteSize(); i++) {
            if (m.get(ValueLayout.JAVA_BYTE, i) != pattern(i, seed)) {
                return false;
            }
        }
        return true;
    }

    void close() {
        for (Allocation a : allocations) {
            a.close();
        }
        arena.close();
        for (Secret<?> s : secrets) {
            s.close();
        }
        for (SealedSecret<?> s : sealed) {
            s.close();
        }
    }
}
