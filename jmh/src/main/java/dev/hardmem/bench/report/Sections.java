package dev.hardmem.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.hardmem.bench.report.Format.bytes;
import static dev.hardmem.bench.report.Format.display;

/**
 * What the report knows of each benchmark class: how its section is presented (title, question, chart), and the
 * stated targets, each a method against a baseline of the same class at given parameters. A class with no section
 * here is still reported, under its own name.
 */
final class Sections {
    static final String ALLOC = "AllocateWipeFreeBenchmark";
    static final String WIPE = "WipeBenchmark";
    static final String ACCESS = "AccessBenchmark";
    static final String NONCE = "NonceBenchmark";
    static final String LIVE = "LiveSecretsBenchmark";
    static final String SEAL = "AeadSealBenchmark";
    static final String OPEN = "AeadOpenBenchmark";
    static final String SEALED = "SealedReadBenchmark";
    static final String REKEY = "SealedRekeyBenchmark";
    /** The classes charted as throughput, GB/s, rather than time: bytes per operation over time per operation. */
    static final Set<String> THROUGHPUT = Set.of(WIPE, SEAL, OPEN);

    private Sections() {
    }

    /** How a class is presented. */
    record Section(String title, String question, String groupBy, String chartTitle, String axis) {
    }

    static final Map<String, Section> SECTIONS = new LinkedHashMap<>();

    static {
        SECTIONS.put(ALLOC, new Section("Allocate + wipe + free",
                "What one short-lived secret costs: allocate `size` bytes, fill them with a non-zero pattern, wipe,"
                        + " free. Every method does the same fill, so the wipe always overwrites data. The slab tier"
                        + " holds at most 4 KiB, so it has no 64 KiB result (n/a), rather than a made-up one."
                        + " `secretRandom` is `Secret.random` + `close`, filled by `getrandom(2)` instead."
                        + " `baselineArena` zeroes on allocation and does not wipe; `baselineSharedArena` is the same"
                        + " on `Arena.ofShared()`, whose close waits for a handshake with every thread;"
                        + " `baselineHeap` is `new byte[n]` + `Arrays.fill`; `baselineSodium` is `sodium_malloc` +"
                        + " `sodium_free` through FFM. Lower is better.",
                "size", "Allocate + fill + wipe + free, by size", "time per operation"));
        SECTIONS.put(WIPE, new Section("Wipe throughput",
                "How fast each way of zeroing overwrites memory that holds data (the buffer is refilled with a"
                        + " non-zero pattern before every invocation, untimed). One invocation wipes max(size, 1 MiB)"
                        + " bytes as pieces of `size` bytes, so that small wipes are timed over tens of microseconds;"
                        + " *per wipe* is the time for one piece. `baselineMemset` (libc `memset` through a critical"
                        + " downcall) is the bandwidth limit of this machine. Higher GB/s is better.",
                "size", "Wipe throughput, by size of each wipe", "GB/s (bytes per ns)"));
        SECTIONS.put(ACCESS, new Section("Access cost",
                "What `Secret.read` costs around a read of all `size` bytes (folded into one long): a scoped,"
                        + " read-only, confined view that dies when the lambda returns, with and without access-scoped"
                        + " page protection (`mprotect` to read-only and back to `PROT_NONE` around every read),"
                        + " against the same fold over a plain segment. Lower is better.",
                "size", "Secret.read cost", "time per read"));
        SECTIONS.put(SEALED, new Section("Sealed secrets: read",
                "What `SealedSecret.read` costs around a read of its first `long`: derive the process key into this"
                        + " thread's guarded scratch slot, verify and decrypt the XChaCha20-Poly1305 ciphertext there,"
                        + " run the function on a scoped read-only view, wipe. `sealedCoffer` derives the key with one"
                        + " HChaCha20 block (coffer mode, the default), `sealedShielded` with a BLAKE2b hash of a"
                        + " 16 KiB prekey (shielded mode); `sealedCofferWrite` is `write` in coffer mode: open, add"
                        + " one to the first `long`, seal again under a fresh random nonce (from `getrandom(2)`, drawn"
                        + " 4 KiB at a time)."
                        + " `baselineSecretRead` is `Secret.read` on the default allocator, the same function."
                        + " Through this benchmark's own critical downcalls, on plain native memory: `aeadOpen` is"
                        + " libsodium's XChaCha20-Poly1305 open of `size` bytes alone (no key to derive, no lock, no"
                        + " scratch memory, no wipe), the floor of any sealed read; `hash16KiB` is"
                        + " `crypto_generichash` of 16 KiB into 32 bytes, the hash alone, the floor of shielded mode."
                        + " Each thread has its own secrets. Lower is better.",
                "size", "SealedSecret.read cost", "time per operation"));
        SECTIONS.put(REKEY, new Section("Sealed secrets: rekey",
                "What `SealedSecret.rekey()` costs per secret: 100,000 live 32-byte sealed secrets of one mode,"
                        + " made once, rekeyed once per iteration (fresh key material, then each secret locked,"
                        + " opened under the old key and sealed under the new one, with a fresh nonce). The score is"
                        + " the rekey's time divided by 100,000. The million-secret rekey is measured by the test"
                        + " that holds a million sealed secrets. Single shot, 2 warm-up iterations: lower is better.",
                "mode", "SealedSecret.rekey(), per secret", "time per secret"));
        SECTIONS.put(NONCE, new Section("Nonce",
                "Minting and consuming one nonce from a `NonceSequence`, against `SecureRandom.nextBytes` into a"
                        + " 12-byte array. Lower is better.",
                null, "Nonce: next + consume", "time per nonce"));
        SECTIONS.put("ConstantTimeBenchmark", new Section("Constant-time comparison",
                "`ConstantTime.equals` on arrays and segments when the inputs are equal, differ in the first byte,"
                        + " or differ in the last byte, against `Arrays.equals` (which returns at the first"
                        + " difference). Constant time means the three `constantTime*` cases of a size take the same"
                        + " time; `Arrays.equals` shows what an early exit looks like. Lower is better.",
                "size", "Comparison time by size", "time per comparison"));
        SECTIONS.put(LIVE, new Section("Live-secret scale",
                "Time to allocate `count` live 32-byte secrets (each written), and what holding them costs the"
                        + " process at the peak: mappings (`/proc/self/maps` lines) and locked and resident memory"
                        + " added. hardmem: one `SecretArena` on a fresh default `GuardedAllocator` (slab tier)."
                        + " libsodium: `sodium_malloc` (4 mappings each) until `count`, or until 1,000 mappings short"
                        + " of `vm.max_map_count`: past the limit it does not return NULL but silently returns"
                        + " unguarded, unlocked memory (libsodium ignores `mprotect`/`mlock` failures), and a JVM"
                        + " left without a mapping dies. *guarded* counts the allocations whose guard page was"
                        + " probed and found; *stops guarding at* adds what the remaining mappings allow."
                        + " Time per secret is the fair comparison where libsodium stopped early. Single-shot, 1"
                        + " warm-up iteration: lower is better.",
                "count", "Time to allocate N live 32-byte secrets", "single shot"));
        String aead = " `hardmemNative` is `AeadSealingKey`/`AeadOpeningKey` through libsodium, on segments (the key"
                + " in a `Secret`, the plaintext in a `SecretArena`, the message in hardmem's wire form: nonce ‖"
                + " ciphertext ‖ tag); `hardmemJca` is hardmem's JCA path (`dev.hardmem.aead`), for reference;"
                + " `baselineJca` is plain JCA at its best: a `SecretKeySpec` and a `Cipher` made once and"
                + " initialised again per message, `doFinal` from one `byte[]` into another. The JDK has no"
                + " XChaCha20-Poly1305, so its rows have no baseline. No additional data. Charted as plaintext"
                + " bytes per nanosecond (GB/s): higher is better; the table's times: lower is better.";
        SECTIONS.put(SEAL, new Section("AEAD seal",
                "What sealing one message of `size` bytes costs, with a fresh nonce each time as a real sender"
                        + " must: the key's own nonce sequence on hardmem's side, a 64-bit counter in a `byte[]`"
                        + " for plain JCA (the cheapest fresh nonce, with none of a sequence's checks)." + aead,
                "size", "AEAD seal throughput, by message size", "GB/s (plaintext bytes per ns)"));
        SECTIONS.put(OPEN, new Section("AEAD open",
                "What opening (verifying, then decrypting) one message of `size` bytes costs, the same message"
                        + " each time. hardmem's native open writes to the destination only once the tag has verified:"
                        + " for the ChaCha20 AEADs it checks the tag with a call that writes nothing, then decrypts"
                        + " straight into the destination; for AES-256-GCM it decrypts into the thread's guarded"
                        + " scratch memory, copies the plaintext out and wipes the scratch memory, all part of every"
                        + " open." + aead,
                "size", "AEAD open throughput, by message size", "GB/s (plaintext bytes per ns)"));
        SECTIONS.put("HkdfBenchmark", new Section("HKDF-SHA256",
                "One extract-then-expand derivation of a 32-byte key, with the inputs of RFC 5869 test A.1."
                        + " `hardmemDerive` derives into a new `Secret` and closes it; `hardmemDeriveInto` into a"
                        + " `SecretArena` segment allocated once; both keep the HMAC states and the pseudorandom key"
                        + " in guarded memory and wipe them. `baselineJdkKdf` is JDK 25's `javax.crypto.KDF`"
                        + " (`HKDF-SHA256`), the keying material a `SecretKeySpec`, into a new `byte[]`. Lower is"
                        + " better.",
                null, "HKDF-SHA256: one 32-byte key", "time per derivation"));
        SECTIONS.put("Argon2idBenchmark", new Section("Argon2id",
                "One 32-byte key from a password at libsodium's interactive limits (2 passes over 64 MiB):"
                        + " `hardmemDeriveKey` is `Argon2id.INTERACTIVE.deriveKey` from a password `Secret` into a"
                        + " key `Secret`; `baselineSodium` is `crypto_pwhash` called directly on plain native"
                        + " memory. There is no Argon2 in the JDK. Single shot, a few times: lower is better.",
                null, "Argon2id, interactive limits", "single shot"));
    }

    /**
     * A stated target: {@code method} against {@code baseline} (plus {@code plus}, where that is not null: a
     * baseline that is the sum of two methods' times) at {@code where}. {@link Kind#AT_MOST_NANOS} has no baseline;
     * {@link Kind#THREADS_SLOWER_BY_AT_MOST} compares {@code method} with itself at 1 thread, in the thread-scaling
     * run.
     */
    record Target(String text, String cls, String method, String baseline, String plus, Map<String, String> where,
                  Kind kind, double bound) {
        Target(String text, String cls, String method, String baseline, Map<String, String> where, Kind kind,
               double bound) {
            this(text, cls, method, baseline, null, where, kind, bound);
        }
    }

    enum Kind {
        /** baseline time / time ≥ bound. */
        FASTER_BY_AT_LEAST,
        /** time / baseline time ≤ bound. */
        SLOWER_BY_AT_MOST,
        /** throughput / baseline throughput ≥ bound (same bytes: baseline time / time). */
        THROUGHPUT_AT_LEAST,
        /** time ≤ bound, in nanoseconds: no baseline. */
        AT_MOST_NANOS,
        /** In the thread-scaling run, at every thread count above 1: time per operation / its time at 1 ≤ bound. */
        THREADS_SLOWER_BY_AT_MOST
    }

    static List<Target> targets() {
        List<Target> t = new ArrayList<>();
        t.add(new Target("Slab 32 B allocate + wipe + free ≥ 200× faster than `sodium_malloc` + `sodium_free`",
                ALLOC, "slab", "baselineSodium", Map.of("size", "32"), Kind.FASTER_BY_AT_LEAST, 200));
        t.add(new Target("Slab 32 B allocate + wipe + free ≤ 2× `Arena.ofConfined()` allocate + close",
                ALLOC, "slab", "baselineArena", Map.of("size", "32"), Kind.SLOWER_BY_AT_MOST, 2));
        for (String size : List.of("32", "1024", "65536")) {
            t.add(new Target("Isolated (no access protection) " + bytes(size)
                    + " ≥ 50× faster than the libsodium pair",
                    ALLOC, "isolated", "baselineSodium", Map.of("size", size), Kind.FASTER_BY_AT_LEAST, 50));
        }
        for (String size : List.of("1048576", "16777216")) {
            t.add(new Target("`Wipe.segment` " + bytes(size) + " ≥ 0.9× native `memset` throughput",
                    WIPE, "wipeSegment", "baselineMemset", Map.of("size", size), Kind.THROUGHPUT_AT_LEAST, 0.9));
            t.add(new Target("`Wipe.bytes` " + bytes(size) + " ≥ 0.9× native `memset` throughput",
                    WIPE, "wipeBytes", "baselineMemset", Map.of("size", size), Kind.THROUGHPUT_AT_LEAST, 0.9));
        }
        for (String size : List.of("32", "1024", "65536")) {
            t.add(new Target("`SecretArena` on the unguarded allocator " + bytes(size)
                    + " ≤ 1.3× `Arena.ofConfined()`", ALLOC, "secretArenaUnguarded", "baselineArena",
                    Map.of("size", size), Kind.SLOWER_BY_AT_MOST, 1.3));
        }
        for (String cls : List.of(SEAL, OPEN)) {
            for (String algorithm : List.of("CHACHA20_POLY1305", "AES_256_GCM")) {
                t.add(new Target("Native " + display(algorithm) + (cls.equals(SEAL) ? " seal" : " open")
                        + " 1 KiB ≥ plain JCA `Cipher` on `byte[]`", cls,
                        "hardmemNative", "baselineJca", Map.of("algorithm", algorithm, "size", "1024"),
                        Kind.FASTER_BY_AT_LEAST, 1));
            }
        }
        Map<String, String> small = Map.of("size", "32");
        t.add(new Target("Sealed coffer `read` 32 B ≤ 1 µs per operation, 1 thread", SEALED, "sealedCoffer", null,
                small, Kind.AT_MOST_NANOS, 1000));
        t.add(new Target("Sealed coffer `read` 32 B at every thread count ≤ 1.5× its time at 1 thread"
                + " (thread-scaling run)", SEALED, "sealedCoffer", null, small, Kind.THREADS_SLOWER_BY_AT_MOST,
                1.5));
        t.add(new Target("Sealed coffer `read` 32 B ≤ 10× `Secret.read`", SEALED, "sealedCoffer",
                "baselineSecretRead", small, Kind.SLOWER_BY_AT_MOST, 10));
        t.add(new Target("Sealed shielded `read` 32 B ≤ the 16 KiB hash + a coffer `read`", SEALED,
                "sealedShielded", "hash16KiB", "sealedCoffer", small, Kind.SLOWER_BY_AT_MOST, 1));
        return t;
    }
}
