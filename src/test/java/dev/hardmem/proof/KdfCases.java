package dev.hardmem.proof;

import dev.hardmem.crypto.Hkdf;
import dev.hardmem.proof.Census.After;
import dev.hardmem.proof.Census.Bad;
import dev.hardmem.proof.Census.Fit;
import dev.hardmem.proof.Census.Kind;
import dev.hardmem.proof.Census.Rule;
import dev.hardmem.proof.Census.Throws;
import dev.hardmem.proof.Census.Variant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.hardmem.proof.Census.IAE;
import static dev.hardmem.proof.Census.bad;
import static dev.hardmem.proof.Census.key;
import static dev.hardmem.proof.Census.number;
import static dev.hardmem.proof.Census.rule;
import static dev.hardmem.proof.Census.sizes;
import static dev.hardmem.proof.Census.throwing;

/**
 * The census cases of the key derivation and password hashing of package {@code dev.hardmem.crypto}: HKDF (each
 * hash a receiver of its own), keyed BLAKE2b and Argon2id. Every segment that receives a derived key must be
 * writable native memory, and a refused call must leave it as it was.
 */
final class KdfCases implements Census.Table {
    private static final String HKDF_EXPAND_TO_SECRET = "crypto.Hkdf#expand(Secret,MemorySegment,Class,long)";
    private static final String HKDF_EXPAND_INTO = "crypto.Hkdf#expand(Secret,MemorySegment,MemorySegment)";
    private static final String HKDF_DERIVE_TO_SECRET =
            "crypto.Hkdf#derive(Secret,MemorySegment,MemorySegment,Class,long)";
    private static final String HKDF_DERIVE_INTO =
            "crypto.Hkdf#derive(Secret,MemorySegment,MemorySegment,MemorySegment)";
    private static final String BLAKE_DERIVE_TO_SECRET = "crypto.Blake2b#derive(Secret,MemorySegment,Class,long)";
    private static final String BLAKE_DERIVE_INTO = "crypto.Blake2b#derive(Secret,MemorySegment,MemorySegment)";
    private static final String BLAKE_MAC = "crypto.Blake2b#mac(Secret,MemorySegment,MemorySegment)";
    private static final String BLAKE_VERIFY = "crypto.Blake2b#verify(Secret,MemorySegment,MemorySegment)";
    private static final String ARGON_OF = "crypto.Argon2id#of(long,long)";
    private static final String ARGON_TO_SECRET = "crypto.Argon2id#deriveKey(Secret,MemorySegment,Class,long)";
    private static final String ARGON_INTO = "crypto.Argon2id#deriveKey(Secret,MemorySegment,MemorySegment)";
    private static final String ARGON_VERIFY = "crypto.Argon2id#verify(String,Secret)";
    private static final String ARGON_REHASH = "crypto.Argon2id#needsRehash(String)";

    /** A verifier string from libsodium's own tests (its {@code str_tests}): 256 KiB, three passes, quick. */
    private static final String VERIFIER = "$argon2id$v=19$m=256,t=3,p=1$MDEyMzQ1Njc"
            + "$G5ajKFCoUzaXRLdz7UJb5wGkb2Xt+X5/GQjUYtS2+TE";

    /** Each member that writes a derived key or a tag to a segment, with the index of that segment. */
    private static final Map<String, Integer> DESTINATIONS = Map.of(HKDF_EXPAND_INTO, 2, HKDF_DERIVE_INTO, 3,
            BLAKE_DERIVE_INTO, 2, BLAKE_MAC, 2, ARGON_INTO, 2);

    @Override
    public Map<String, List<Bad>> numeric() {
        Map<String, List<Bad>> n = new HashMap<>();
        n.put(HKDF_EXPAND_TO_SECRET + "[3]", lengths(16321, "documented: 1 to maxOutputLength() (8160 or 16320)"));
        n.put(HKDF_DERIVE_TO_SECRET + "[4]", lengths(16321, "documented: 1 to maxOutputLength() (8160 or 16320)"));
        n.put(BLAKE_DERIVE_TO_SECRET + "[3]", withMore(lengths(65, "documented: 16 to 64"), 15L,
                "documented: 16 to 64"));
        n.put(ARGON_TO_SECRET + "[3]", withMore(lengths(1L << 32, "documented: 16 to 2^32 - 1"), 15L,
                "documented: 16 to 2^32 - 1"));
        Throws ops = throwing(IAE, "documented: opsLimit 1 to 2^32 - 1");
        n.put(ARGON_OF + "[0]", List.of(number(Kind.NEGATIVE, "-1", -1L, ops),
                number(Kind.NEGATIVE, "Long.MIN_VALUE", Long.MIN_VALUE, ops), number(Kind.ZERO, "0", 0L, ops),
                number(Kind.OUT_OF_RANGE, "2^32", 1L << 32, ops),
                number(Kind.HUGE, "Long.MAX_VALUE", Long.MAX_VALUE, ops)));
        Throws mem = throwing(IAE, "documented: memLimit 8 KiB to 4 TiB");
        n.put(ARGON_OF + "[1]", List.of(number(Kind.NEGATIVE, "-1", -1L, mem),
                number(Kind.NEGATIVE, "Long.MIN_VALUE", Long.MIN_VALUE, mem), number(Kind.ZERO, "0", 0L, mem),
                number(Kind.OUT_OF_RANGE, "8191", 8191L, mem),
                number(Kind.OUT_OF_RANGE, "4 TiB + 1 KiB", (4L << 40) + 1024, mem),
                number(Kind.HUGE, "Long.MAX_VALUE", Long.MAX_VALUE, mem)));
        return n;
    }

    /** {@return the sizes below 1, and {@code tooLong}, all refused} */
    private static List<Bad> lengths(long tooLong, String why) {
        List<Bad> b = new ArrayList<>(sizes(long.class, 1, throwing(IAE, why), false));
        b.add(number(Kind.OUT_OF_RANGE, String.valueOf(tooLong), tooLong, throwing(IAE, why)));
        return b;
    }

    private static List<Bad> withMore(List<Bad> b, long value, String why) {
        List<Bad> more = new ArrayList<>(b);
        more.add(number(Kind.OUT_OF_RANGE, String.valueOf(value), value, throwing(IAE, why)));
        return more;
    }

    @Override
    public Map<String, List<Bad>> perMember() {
        Map<String, List<Bad>> m = new HashMap<>();
        DESTINATIONS.forEach((member, index) -> {
            boolean tag = member.equals(BLAKE_MAC);
            m.put(member + "[" + index + "]", List.of(
                    bad(Kind.WRONG_LENGTH, "an empty segment", s -> MemorySegment.ofArray(new byte[0]),
                            throwing(IAE, "documented: the length is out of range")),
                    tag ? bad(Kind.OTHER_KEY, "a segment on the Java heap", s -> MemorySegment.ofArray(new byte[16]),
                            Census.accepted("documented: a tag is not secret and may go to the Java heap"))
                        : bad(Kind.OTHER_KEY, "a segment on the Java heap", s -> MemorySegment.ofArray(new byte[16]),
                            throwing(IAE, "documented: 'read-only or on the Java heap'"))));
        });
        Throws notAVerifier = throwing(IAE, "documented: 'if verifier is not a verifier string of Argon2'");
        List<Bad> strings = List.of(
                bad(Kind.EMPTY, "an empty string", s -> "", notAVerifier),
                bad(Kind.TAMPERED, "a string that is no verifier", s -> "$argon2id$v=19$m=256", notAVerifier),
                bad(Kind.OUT_OF_RANGE, "a string of 200 characters", s -> "$".repeat(200), notAVerifier));
        m.put(ARGON_VERIFY + "[0]", strings);
        m.put(ARGON_REHASH + "[0]", strings);
        Throws saltLength = throwing(IAE, "documented: 'if salt is not 16 bytes'");
        for (String member : List.of(ARGON_TO_SECRET, ARGON_INTO)) {
            m.put(member + "[1]", List.of(
                    bad(Kind.WRONG_LENGTH, "a salt of 15 bytes", s -> MemorySegment.ofArray(new byte[15]), saltLength),
                    bad(Kind.WRONG_LENGTH, "a salt of 17 bytes", s -> MemorySegment.ofArray(new byte[17]),
                            saltLength)));
        }
        m.put(BLAKE_VERIFY + "[2]", List.of(bad(Kind.WRONG_LENGTH, "a tag of 15 bytes",
                s -> MemorySegment.ofArray(new byte[15]), throwing(IAE, "documented: a tag of 16 to 64 bytes"))));
        return m;
    }

    @Override
    public Map<Class<?>, List<Variant>> receivers() {
        return Map.of(Hkdf.class, List.of(new Variant("SHA256", s -> Hkdf.SHA256),
                new Variant("SHA512", s -> Hkdf.SHA512)));
    }

    @Override
    public List<Rule> rules() {
        List<Rule> r = new ArrayList<>();
        Throws readOnly = throwing(IAE, "documented: 'if ... destination is ... read-only'");
        DESTINATIONS.forEach((member, index) -> r.add(rule(member, "[" + index + "]", "a read-only view", readOnly)));
        Throws shortPrk = throwing(IAE, "documented: 'if prk is shorter than the hash'");
        r.add(rule(HKDF_EXPAND_TO_SECRET, "[0]", "a 16-byte key", shortPrk));
        r.add(rule(HKDF_EXPAND_INTO, "[0]", "a 16-byte key", shortPrk));
        return r;
    }

    @Override
    public Map<String, Fit> fits() {
        Fit prk = (s, args) -> args[0] = key(s, 64);
        Fit verifier = (s, args) -> args[0] = VERIFIER;
        return Map.of(HKDF_EXPAND_TO_SECRET, prk, HKDF_EXPAND_INTO, prk, ARGON_VERIFY, verifier,
                ARGON_REHASH, verifier);
    }

    @Override
    public Map<String, After> after() {
        Map<String, After> a = new HashMap<>();
        DESTINATIONS.forEach((member, index) -> a.put(member, (s, o) -> o.thrown() != null
                && s.args[index] instanceof MemorySegment m && !untouched(m)
                ? "a refused call wrote to the destination" : null));
        return a;
    }

    /** {@return whether {@code m} is still all zeros (the dummies start so), or cannot be read to tell} */
    private static boolean untouched(MemorySegment m) {
        if (!m.scope().isAlive() || !m.isAccessibleBy(Thread.currentThread())) {
            return true;
        }
        for (long i = 0; i < m.byteSize(); i++) {
            if (m.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }
}
