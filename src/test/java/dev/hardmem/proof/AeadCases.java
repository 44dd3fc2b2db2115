package dev.hardmem.proof;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.KeyLoan;
import dev.hardmem.aead.OpeningKey;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.NonceExhaustedException;
import dev.hardmem.nonce.NonceReuseException;
import dev.hardmem.nonce.UnusedNonce;
import dev.hardmem.nonce.UsedNonce;
import dev.hardmem.proof.Census.After;
import dev.hardmem.proof.Census.Bad;
import dev.hardmem.proof.Census.Fit;
import dev.hardmem.proof.Census.Kind;
import dev.hardmem.proof.Census.Planted;
import dev.hardmem.proof.Census.Rule;
import dev.hardmem.proof.Census.Scope;
import dev.hardmem.proof.Census.State;
import dev.hardmem.proof.Census.Throws;
import dev.hardmem.proof.Census.Variant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.SecretKey;

import static dev.hardmem.proof.Census.DIRECT;
import static dev.hardmem.proof.Census.IAE;
import static dev.hardmem.proof.Census.ISE;
import static dev.hardmem.proof.Census.ON_OTHER_THREAD;
import static dev.hardmem.proof.Census.accepted;
import static dev.hardmem.proof.Census.all;
import static dev.hardmem.proof.Census.allZero;
import static dev.hardmem.proof.Census.bad;
import static dev.hardmem.proof.Census.exhaustedSequence;
import static dev.hardmem.proof.Census.fresh;
import static dev.hardmem.proof.Census.key;
import static dev.hardmem.proof.Census.only;
import static dev.hardmem.proof.Census.rule;
import static dev.hardmem.proof.Census.throwing;

/**
 * The census cases of package {@code dev.hardmem.aead}: sealing and opening keys, each receiver made once per
 * algorithm. An opening key comes with a message it sealed, so that a case can tamper with a real message.
 */
final class AeadCases implements Census.Table {
    /** The plaintext of every message the cases seal. */
    static final byte[] SAMPLE = "sixteen bytes!!!".getBytes(StandardCharsets.US_ASCII);
    /** What a destination holds before an open: an open that is refused must leave it so. */
    private static final byte MARKER = 0x5A;

    private static final String OPEN = "aead.OpeningKey#open(UsedNonce,MemorySegment,MemorySegment,MemorySegment)";
    private static final String SEAL_NONCE = "aead.SealingKey#seal(UnusedNonce,MemorySegment,MemorySegment)";
    private static final String SEAL = "aead.SealingKey#seal(MemorySegment,MemorySegment)";
    private static final String LEND = "aead.KeyLoan#lend(Secret,String,Borrower)";

    @Override
    public Map<String, List<Bad>> perMember() {
        Throws badTag = throwing(AEADBadTagException.class,
                "documented: 'if the ciphertext, tag, nonce or AAD is not what was sealed'");
        Map<String, List<Bad>> m = new HashMap<>();
        m.put(OPEN + "[0]", List.of(bad(Kind.TAMPERED, "the nonce of another message", s -> {
            byte[] n = s.sample.nonce().bytes();
            n[0] ^= 1;
            return UsedNonce.fromWire(n);
        }, badTag)));
        m.put(OPEN + "[1]", List.of(
                bad(Kind.OTHER_KEY, "a ciphertext sealed by another key", s -> MemorySegment.ofArray(
                        SealingKey.of(algorithmOf(s), key(s, 32))
                                .seal(MemorySegment.ofArray(SAMPLE), MemorySegment.ofArray(new byte[0]))
                                .ciphertext()), badTag),
                bad(Kind.TOO_SMALL, "a ciphertext shorter than the tag", s -> MemorySegment.ofArray(new byte[8]),
                        throwing(AEADBadTagException.class, "documented: 'including a ciphertext shorter than the"
                                + " tag'")),
                bad(Kind.TAMPERED, "a ciphertext with one bit flipped", s -> {
                    byte[] c = s.sample.ciphertext().clone();
                    c[3] ^= 0x10;
                    return MemorySegment.ofArray(c);
                }, badTag)));
        m.put(OPEN + "[2]", List.of(bad(Kind.TAMPERED, "other additional data",
                s -> MemorySegment.ofArray(new byte[] {1}), badTag)));
        m.put(OPEN + "[3]", List.of(bad(Kind.TOO_SMALL, "a destination one byte too small",
                s -> MemorySegment.ofArray(new byte[SAMPLE.length - 1]),
                throwing(IAE, "documented: 'if ... the destination is too small'"))));
        m.put(LEND + "[0]", List.of(
                bad(Kind.IN_USE, "a secret that serves a SealingKey", s -> {
                    Secret<SecretKind.Key> k = key(s, 32);
                    SealingKey.of(Algorithm.AES_256_GCM, k);
                    return k;
                }, throwing(ISE, "documented: 'if the secret ... serves ... a SealingKey'")),
                bad(Kind.IN_USE, "a secret lent under another algorithm name", s -> {
                    Secret<SecretKind.Key> k = key(s, 32);
                    KeyLoan.lend(k, "HmacSHA512", key -> null);
                    return k;
                }, throwing(ISE, "documented: 'if the secret ... serves another algorithm'"))));
        Throws blank = throwing(IAE, "documented: 'if algorithm is empty or blank'");
        m.put(LEND + "[1]", List.of(bad(Kind.EMPTY, "an empty name", s -> "", blank),
                bad(Kind.EMPTY, "a blank name", s -> " \t", blank)));
        m.put(LEND + "[2]", List.of(
                bad(Kind.FAILING, "a borrower that throws", s -> (KeyLoan.Borrower<Object, RuntimeException>) k -> {
                    throw new Planted();
                }, throwing(Planted.class, "documented: 'what it throws propagates unchanged'")),
                bad(Kind.ESCAPING, "a borrower that returns the key and the copy it asked for", s ->
                        (KeyLoan.Borrower<Object, RuntimeException>) k -> List.of(k, k.getEncoded()),
                        accepted("documented: the key is destroyed and its copies wiped when the borrower"
                                + " returns"))));
        return m;
    }

    private static Algorithm algorithmOf(Scope s) {
        return s.receiver instanceof OpeningKey o ? o.algorithm() : Algorithm.CHACHA20_POLY1305;
    }

    @Override
    public Map<Class<?>, List<Variant>> receivers() {
        List<Variant> sealing = new ArrayList<>();
        List<Variant> opening = new ArrayList<>();
        for (Algorithm a : Algorithm.values()) {
            sealing.add(new Variant(a.name(),
                    s -> SealingKey.of(a, key(s, 32), CounterNonceSequence.withRandomPrefix())));
            opening.add(new Variant(a.name(), s -> {
                Secret<SecretKind.Key> k = key(s, 32);
                // Sealed now, while the key is open: a state may close it before the case runs.
                s.sample = SealingKey.of(a, k).seal(MemorySegment.ofArray(SAMPLE), MemorySegment.ofArray(new byte[0]));
                s.sampleKey = k;
                return OpeningKey.of(a, k);
            }));
        }
        return Map.of(SealingKey.class, sealing, OpeningKey.class, opening);
    }

    private static void closeKeysIn(Scope s) {
        for (Object o : s.made) {
            if (o instanceof Secret<?> k && !k.isDestroyed()) {
                k.close();
            }
        }
    }

    @Override
    public Map<Class<?>, List<State>> states() {
        Map<Class<?>, List<State>> st = new HashMap<>();
        st.put(SealingKey.class, List.of(
                new State(Kind.CLOSED, "its key closed", (v, s) -> {
                    Object k = fresh(v, s);
                    closeKeysIn(s);
                    return k;
                }, DIRECT, all(), throwing(ISE, "documented: 'if the key is closed'; the nonce is not consumed")),
                new State(Kind.EXHAUSTED, "its sequence exhausted", (v, s) -> SealingKey.of(
                        Algorithm.valueOf(v.label()), key(s, 32), exhaustedSequence(12)), DIRECT,
                        m -> m.getName().equals("seal") && m.getParameterCount() == 2,
                        throwing(NonceExhaustedException.class,
                        "documented: 'if the sequence has run out'")),
                new State(Kind.WRONG_THREAD, "used from another thread", Census::fresh, ON_OTHER_THREAD,
                        only("seal"), accepted("documented: 'may be used by any number of threads at once'"))));
        st.put(OpeningKey.class, List.of(
                new State(Kind.CLOSED, "its key closed", (v, s) -> {
                    Object k = fresh(v, s);
                    closeKeysIn(s);
                    return k;
                }, DIRECT, all(), throwing(ISE, "documented: 'if the key is closed'")),
                new State(Kind.WRONG_THREAD, "used from another thread", Census::fresh, ON_OTHER_THREAD,
                        only("open"), accepted("documented: 'may be used by any number of threads at once'"))));
        return st;
    }

    @Override
    public List<Rule> rules() {
        return List.of(
                rule("aead.SealingKey#algorithm()", "receiver", "its key closed", accepted("no @throws")),
                rule("aead.SealingKey#nonceSequence()", "receiver", "its key closed", accepted("no @throws")),
                rule("aead.SealingKey#of(Algorithm,Secret)", "[1]", "a 16-byte key", throwing(IAE,
                        "documented: 'if the key has the wrong length'")),
                rule("aead.SealingKey#of(Algorithm,Secret,NonceSequence)", "[1]", "a 16-byte key", throwing(IAE,
                        "documented: 'if the key ... ha(s) the wrong length'")),
                rule("aead.SealingKey#of(Algorithm,Secret,NonceSequence)", "[2]", "a sequence of 24-byte nonces",
                        throwing(IAE, "documented: 'if ... the sequence's nonces have the wrong length'")),
                rule("aead.OpeningKey#of(Algorithm,Secret)", "[1]", "a 16-byte key", throwing(IAE,
                        "documented: 'if the key has the wrong length'")),
                rule("aead.OpeningKey#algorithm()", "receiver", "its key closed", accepted("no @throws")),
                rule(OPEN, "[0]", "a 24-byte nonce", throwing(IAE, "documented: 'if the nonce has the wrong"
                        + " length'")),
                rule(OPEN, "[3]", "a read-only view", throwing(IAE, "documented: 'if ... the destination is ..."
                        + " read-only'")));
    }

    @Override
    public Map<String, Fit> fits() {
        Fit aKey = (s, args) -> args[1] = key(s, 32);
        return Map.of(
                SEAL_NONCE, (s, args) -> args[0] = ((SealingKey) s.receiver).nonceSequence().next(),
                OPEN, (s, args) -> {
                    args[0] = s.sample.nonce();
                    args[1] = MemorySegment.ofArray(s.sample.ciphertext().clone());
                    args[2] = MemorySegment.ofArray(new byte[0]);
                    s.destination = MemorySegment.ofArray(new byte[SAMPLE.length]).fill(MARKER);
                    args[3] = s.destination;
                },
                "aead.SealingKey#of(Algorithm,Secret)", aKey,
                "aead.SealingKey#of(Algorithm,Secret,NonceSequence)", aKey,
                "aead.OpeningKey#of(Algorithm,Secret)", aKey);
    }

    @Override
    public Map<String, After> after() {
        return Map.of(
                SEAL_NONCE, (s, o) -> o.thrown() != null && o.thrown() != NonceReuseException.class
                        && s.args[0] instanceof UnusedNonce n && n.isConsumed()
                        ? "the refused seal consumed the nonce (documented: 'the nonce is not consumed')" : null,
                SEAL, (s, o) -> {
                    if (o.thrown() == null || o.thrown() == NonceExhaustedException.class
                            || !(s.receiver instanceof SealingKey k) || k.nonceSequence().isExhausted()) {
                        return null;
                    }
                    byte[] next = k.nonceSequence().next().consume().bytes();
                    return allZero(Arrays.copyOfRange(next, CounterNonceSequence.RANDOM_PREFIX_LENGTH, next.length))
                            ? null : "the refused seal drew a nonce (documented: 'no nonce is drawn')";
                },
                LEND, (s, o) -> {
                    if (!(o.result() instanceof List<?> l) || !(l.get(0) instanceof SecretKey k)) {
                        return null;
                    }
                    if (!k.isDestroyed()) {
                        return "the key that escaped the loan is not destroyed";
                    }
                    if (!allZero((byte[]) l.get(1))) {
                        return "the copy the borrower asked for was not wiped when the loan ended";
                    }
                    try {
                        k.getEncoded();
                        return "the key that escaped the loan still gives its bytes";
                    } catch (IllegalStateException expected) {
                        return null;
                    }
                },
                OPEN, (s, o) -> {
                    if (o.thrown() == null || s.destination == null || s.args[3] != s.destination) {
                        return null;
                    }
                    byte[] d = s.destination.toArray(ValueLayout.JAVA_BYTE);
                    for (byte b : d) {
                        if (b != MARKER) {
                            return "the refused open wrote to the destination (documented: 'nothing is written')";
                        }
                    }
                    return null;
                });
    }
}
