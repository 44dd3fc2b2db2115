package dev.hardmem.proof;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Sealed;
import dev.hardmem.crypto.AeadAlgorithm;
import dev.hardmem.crypto.AeadOpeningKey;
import dev.hardmem.crypto.AeadSealingKey;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.NonceExhaustedException;
import dev.hardmem.nonce.NonceReuseException;
import dev.hardmem.nonce.UnusedNonce;
import dev.hardmem.nonce.UsedNonce;
import dev.hardmem.proof.Census.After;
import dev.hardmem.proof.Census.Bad;
import dev.hardmem.proof.Census.Fit;
import dev.hardmem.proof.Census.Kind;
import dev.hardmem.proof.Census.Rule;
import dev.hardmem.proof.Census.Scope;
import dev.hardmem.proof.Census.State;
import dev.hardmem.proof.Census.Throws;
import dev.hardmem.proof.Census.Variant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.AEADBadTagException;

import static dev.hardmem.proof.Census.DIRECT;
import static dev.hardmem.proof.Census.IAE;
import static dev.hardmem.proof.Census.ISE;
import static dev.hardmem.proof.Census.ON_OTHER_THREAD;
import static dev.hardmem.proof.Census.accepted;
import static dev.hardmem.proof.Census.all;
import static dev.hardmem.proof.Census.allZero;
import static dev.hardmem.proof.Census.bad;
import static dev.hardmem.proof.Census.fresh;
import static dev.hardmem.proof.Census.key;
import static dev.hardmem.proof.Census.only;
import static dev.hardmem.proof.Census.rule;
import static dev.hardmem.proof.Census.sizes;
import static dev.hardmem.proof.Census.throwing;

/**
 * The census cases of package {@code dev.hardmem.crypto}: native sealing and opening keys, each receiver made once
 * per algorithm that runs here, with a counter sequence (so that a case can tell whether a refused seal drew a
 * nonce). An opening key comes with a message it sealed, in both forms, so that a case can tamper with a real one.
 */
final class CryptoCases implements Census.Table {
    /** What a destination holds before an open: an open that is refused must leave it so. */
    private static final byte MARKER = 0x5A;
    private static final int SAMPLE_LENGTH = AeadCases.SAMPLE.length;

    private static final String SEAL = "crypto.AeadSealingKey#seal(UnusedNonce,MemorySegment,MemorySegment,"
            + "MemorySegment)";
    private static final String SEAL_WIRE = "crypto.AeadSealingKey#sealToWire(MemorySegment,MemorySegment,"
            + "MemorySegment)";
    private static final String OPEN = "crypto.AeadOpeningKey#open(UsedNonce,MemorySegment,MemorySegment,"
            + "MemorySegment)";
    private static final String OPEN_WIRE = "crypto.AeadOpeningKey#openWire(MemorySegment,MemorySegment,"
            + "MemorySegment)";
    private static final String SEALING_OF = "crypto.AeadSealingKey#of(AeadAlgorithm,Secret)";
    private static final String SEALING_OF_SEQUENCE = "crypto.AeadSealingKey#of(AeadAlgorithm,Secret,NonceSequence)";
    private static final String OPENING_OF = "crypto.AeadOpeningKey#of(AeadAlgorithm,Secret)";

    private static final Throws BAD_TAG = throwing(AEADBadTagException.class,
            "documented: 'if the ciphertext, tag, nonce or AAD is not what was sealed'");

    /**
     * {@return a counter sequence of the algorithm's nonce length: a refused seal must leave it at zero} Its prefix
     * is not zero, so that no nonce it makes is the all-zero nonce a bad value brings.
     */
    private static CounterNonceSequence counter(AeadAlgorithm a) {
        byte[] prefix = new byte[a.nonceLength() - 8];
        Arrays.fill(prefix, (byte) 0x11);
        return CounterNonceSequence.of(prefix, 8);
    }

    private static MemorySegment nativeBytes(byte[] b) {
        return Arena.ofAuto().allocate(Math.max(1, b.length)).asSlice(0, b.length).copyFrom(MemorySegment.ofArray(b));
    }

    private static MemorySegment markedDestination(Scope s, long size) {
        s.destination = Arena.ofAuto().allocate(Math.max(1, size)).asSlice(0, size).fill(MARKER);
        return s.destination;
    }

    private static byte[] wire(Sealed sample) {
        byte[] n = sample.nonce().bytes();
        byte[] c = sample.ciphertext();
        byte[] w = Arrays.copyOf(n, n.length + c.length);
        System.arraycopy(c, 0, w, n.length, c.length);
        return w;
    }

    private static AeadAlgorithm algorithmOf(Scope s) {
        return s.receiver instanceof AeadOpeningKey o ? o.algorithm()
                : s.receiver instanceof AeadSealingKey k ? k.algorithm() : AeadAlgorithm.XCHACHA20_POLY1305;
    }

    @Override
    public Map<String, List<Bad>> numeric() {
        Throws overflow = throwing(IAE, "documented: 'so large the sum overflows a long'");
        return Map.of(
                "crypto.AeadAlgorithm#sealedLength(long)[0]", sizes(long.class, 0, overflow, false),
                "crypto.AeadAlgorithm#wireLength(long)[0]", sizes(long.class, 0, overflow, false));
    }

    @Override
    public Map<String, List<Bad>> perMember() {
        Map<String, List<Bad>> m = new HashMap<>();
        m.put(OPEN + "[0]", List.of(bad(Kind.TAMPERED, "the nonce of another message", s -> {
            byte[] n = s.sample.nonce().bytes();
            n[0] ^= 1;
            return UsedNonce.fromWire(n);
        }, BAD_TAG)));
        m.put(OPEN + "[1]", List.of(
                bad(Kind.TOO_SMALL, "a ciphertext shorter than the tag", s -> nativeBytes(new byte[15]),
                        throwing(AEADBadTagException.class, "documented: 'including a ciphertext shorter than the"
                                + " tag'")),
                bad(Kind.TAMPERED, "a ciphertext with one bit flipped", s -> {
                    byte[] c = s.sample.ciphertext();
                    c[3] ^= 0x10;
                    return nativeBytes(c);
                }, BAD_TAG)));
        m.put(OPEN + "[2]", List.of(bad(Kind.TAMPERED, "other additional data",
                s -> MemorySegment.ofArray(new byte[] {1}), BAD_TAG)));
        m.put(OPEN + "[3]", List.of(bad(Kind.TOO_SMALL, "a destination one byte too small",
                s -> markedDestination(s, SAMPLE_LENGTH - 1), throwing(IAE, "documented: 'if ... the destination is"
                        + " too small'"))));
        m.put(OPEN_WIRE + "[0]", List.of(
                bad(Kind.TOO_SMALL, "a message shorter than a nonce and a tag", s -> nativeBytes(
                        new byte[algorithmOf(s).nonceLength() + 15]), throwing(AEADBadTagException.class,
                        "documented: 'including a message shorter than a nonce and a tag'")),
                bad(Kind.TOO_SMALL, "a message shorter than a nonce", s -> nativeBytes(new byte[5]),
                        throwing(AEADBadTagException.class, "documented: 'including a message shorter than a nonce"
                                + " and a tag'")),
                bad(Kind.TAMPERED, "a message with one bit of its nonce flipped", s -> {
                    byte[] w = wire(s.sample);
                    w[0] ^= 1;
                    return nativeBytes(w);
                }, BAD_TAG),
                bad(Kind.TAMPERED, "a message with one bit of its tag flipped", s -> {
                    byte[] w = wire(s.sample);
                    w[w.length - 1] ^= 1;
                    return nativeBytes(w);
                }, BAD_TAG)));
        m.put(OPEN_WIRE + "[1]", List.of(bad(Kind.TAMPERED, "other additional data",
                s -> MemorySegment.ofArray(new byte[] {1}), BAD_TAG)));
        m.put(OPEN_WIRE + "[2]", List.of(bad(Kind.TOO_SMALL, "a destination one byte too small",
                s -> markedDestination(s, SAMPLE_LENGTH - 1), throwing(IAE, "documented: 'if ... the destination is"
                        + " too small'"))));
        m.put(SEAL + "[3]", List.of(bad(Kind.TOO_SMALL, "a destination one byte too small",
                s -> Arena.ofAuto().allocate(algorithmOf(s).sealedLength(16) - 1), throwing(IAE,
                        "documented: 'if ... the destination is too small'; the nonce is not consumed"))));
        m.put(SEAL_WIRE + "[2]", List.of(bad(Kind.TOO_SMALL, "a destination one byte too small",
                s -> Arena.ofAuto().allocate(algorithmOf(s).wireLength(16) - 1), throwing(IAE,
                        "documented: 'if ... the destination is too small'; no nonce is drawn"))));
        return m;
    }

    @Override
    public Map<Class<?>, List<Variant>> receivers() {
        List<Variant> sealing = new ArrayList<>();
        List<Variant> opening = new ArrayList<>();
        for (AeadAlgorithm a : AeadAlgorithm.values()) {
            if (!a.isAvailable()) {
                continue; // AES-256-GCM on a CPU without it: AeadBadInputTest and the of() cases cover the refusal
            }
            sealing.add(new Variant(a.name(), s -> AeadSealingKey.of(a, key(s, 32), counter(a))));
            opening.add(new Variant(a.name(), s -> {
                Secret<SecretKind.Key> k = key(s, 32);
                // Sealed now, while the key is open: a state may close it before the case runs.
                AeadSealingKey sk = AeadSealingKey.of(a, k, counter(a));
                MemorySegment out = Arena.ofAuto().allocate(a.sealedLength(SAMPLE_LENGTH));
                UsedNonce n = sk.seal(sk.nonceSequence().next(), MemorySegment.ofArray(AeadCases.SAMPLE),
                        MemorySegment.NULL, out);
                s.sample = new Sealed(n, out.toArray(ValueLayout.JAVA_BYTE));
                s.sampleKey = k;
                return AeadOpeningKey.of(a, k);
            }));
        }
        return Map.of(AeadSealingKey.class, sealing, AeadOpeningKey.class, opening);
    }

    private static Object withItsKeyClosed(Variant v, Scope s) throws Exception {
        Object receiver = fresh(v, s);
        for (Object o : s.made) {
            if (o instanceof Secret<?> k && !k.isDestroyed()) {
                k.close();
            }
        }
        return receiver;
    }

    @Override
    public Map<Class<?>, List<State>> states() {
        Map<Class<?>, List<State>> st = new HashMap<>();
        st.put(AeadSealingKey.class, List.of(
                new State(Kind.CLOSED, "its key closed", CryptoCases::withItsKeyClosed, DIRECT, all(),
                        throwing(ISE, "documented: 'if the key is closed'; the nonce is not consumed")),
                new State(Kind.EXHAUSTED, "its sequence exhausted", (v, s) -> {
                    AeadAlgorithm a = AeadAlgorithm.valueOf(v.label());
                    CounterNonceSequence q = CounterNonceSequence.of(new byte[a.nonceLength() - 1], 1);
                    for (int i = 0; i < 256; i++) {
                        q.next();
                    }
                    return AeadSealingKey.of(a, key(s, 32), q);
                }, DIRECT, only("sealToWire"), throwing(NonceExhaustedException.class,
                        "documented: 'if the sequence has run out'")),
                new State(Kind.WRONG_THREAD, "used from another thread", Census::fresh, ON_OTHER_THREAD,
                        only("seal", "sealToWire"), accepted("documented: 'may be used by any number of threads at"
                        + " once'"))));
        st.put(AeadOpeningKey.class, List.of(
                new State(Kind.CLOSED, "its key closed", CryptoCases::withItsKeyClosed, DIRECT, all(),
                        throwing(ISE, "documented: 'if the key is closed'")),
                new State(Kind.WRONG_THREAD, "used from another thread", Census::fresh, ON_OTHER_THREAD,
                        only("open", "openWire"), accepted("documented: 'may be used by any number of threads at"
                        + " once'"))));
        return st;
    }

    @Override
    public List<Rule> rules() {
        List<Rule> r = new ArrayList<>(List.of(
                rule("crypto.AeadSealingKey#algorithm()", "receiver", "its key closed", accepted("no @throws")),
                rule("crypto.AeadSealingKey#nonceSequence()", "receiver", "its key closed", accepted("no @throws")),
                rule("crypto.AeadOpeningKey#algorithm()", "receiver", "its key closed", accepted("no @throws")),
                rule(SEALING_OF, "[1]", "a 16-byte key", throwing(IAE, "documented: 'if the key has the wrong"
                        + " length'")),
                rule(SEALING_OF_SEQUENCE, "[1]", "a 16-byte key", throwing(IAE, "documented: 'if the key ...ha(s)"
                        + " the wrong length'")),
                rule(OPENING_OF, "[1]", "a 16-byte key", throwing(IAE, "documented: 'if the key has the wrong"
                        + " length'")),
                rule(SEAL, "[3]", "a read-only view", throwing(IAE, "documented: 'if ... the destination is ..."
                        + " read-only'; the nonce is not consumed")),
                rule(SEAL_WIRE, "[2]", "a read-only view", throwing(IAE, "documented: 'if ... the destination is"
                        + " ... read-only'; no nonce is drawn")),
                rule(OPEN, "[3]", "a read-only view", throwing(IAE, "documented: 'if ... the destination is ..."
                        + " read-only'")),
                rule(OPEN_WIRE, "[2]", "a read-only view", throwing(IAE, "documented: 'if ... the destination is"
                        + " ... read-only'"))));
        // Nonce lengths: 24 bytes is right for XChaCha20-Poly1305 only, 12 for the others.
        Throws wrongNonce = throwing(IAE, "documented: 'if the key or the sequence's nonces have the wrong length'");
        for (AeadAlgorithm a : AeadAlgorithm.values()) {
            boolean x = a == AeadAlgorithm.XCHACHA20_POLY1305;
            r.add(rule(SEALING_OF_SEQUENCE, "[2]", "a sequence of 24-byte nonces", "aeadalgorithm=" + a, x
                    ? accepted("24 bytes is XChaCha20-Poly1305's nonce length") : wrongNonce));
            r.add(rule(SEALING_OF_SEQUENCE, "[2]", "an exhausted sequence", "aeadalgorithm=" + a, x ? wrongNonce
                    : accepted("no check of exhaustion is documented before the first seal")));
            if (x) {
                r.add(rule(SEALING_OF_SEQUENCE, "[2]", "a sequence bound to another key", "aeadalgorithm=" + a,
                        throwing(IAE, "documented: the sequence's nonces have the wrong length (12 bytes), which is"
                                + " checked before the binding")));
            }
            if (a.isAvailable()) {
                r.add(rule(OPEN, "[0]", "a 24-byte nonce", a.name(), x ? throwing(AEADBadTagException.class,
                        "documented: a nonce of the right length that was not the one sealed with is 'not what was"
                                + " sealed'") : throwing(IAE, "documented: 'if the nonce has the wrong length'")));
            }
        }
        return r;
    }

    @Override
    public Map<String, Fit> fits() {
        Fit aKey = (s, args) -> args[1] = key(s, 32);
        Map<String, Fit> f = new HashMap<>();
        f.put(SEALING_OF, aKey);
        f.put(SEALING_OF_SEQUENCE, (s, args) -> {
            args[1] = key(s, 32);
            args[2] = counter((AeadAlgorithm) args[0]);
        });
        f.put(OPENING_OF, aKey);
        f.put(SEAL, (s, args) -> {
            AeadSealingKey k = (AeadSealingKey) s.receiver;
            args[0] = k.nonceSequence().next();
            args[3] = Arena.ofAuto().allocate(k.algorithm().sealedLength(16));
        });
        f.put(SEAL_WIRE, (s, args) -> args[2] = Arena.ofAuto().allocate(
                ((AeadSealingKey) s.receiver).algorithm().wireLength(16)));
        f.put(OPEN, (s, args) -> {
            args[0] = s.sample.nonce();
            args[1] = nativeBytes(s.sample.ciphertext());
            args[2] = MemorySegment.NULL;
            args[3] = markedDestination(s, SAMPLE_LENGTH);
        });
        f.put(OPEN_WIRE, (s, args) -> {
            args[0] = nativeBytes(wire(s.sample));
            args[1] = MemorySegment.NULL;
            args[2] = markedDestination(s, SAMPLE_LENGTH);
        });
        return f;
    }

    private static String untouched(Scope s, Census.Outcome o, int index) {
        if (o.thrown() == null || s.destination == null || s.args[index] != s.destination) {
            return null;
        }
        for (byte b : s.destination.toArray(ValueLayout.JAVA_BYTE)) {
            if (b != MARKER) {
                return "the refused open wrote to the destination (documented: 'nothing is written')";
            }
        }
        return null;
    }

    private static String noNonceDrawn(Scope s, Census.Outcome o) {
        if (o.thrown() == null || o.thrown() == NonceExhaustedException.class
                || !(s.receiver instanceof AeadSealingKey k) || k.nonceSequence().isExhausted()) {
            return null;
        }
        byte[] next = k.nonceSequence().next().consume().bytes();
        return allZero(Arrays.copyOfRange(next, next.length - 8, next.length)) ? null
                : "the refused seal drew a nonce (documented: 'no nonce is drawn')";
    }

    @Override
    public Map<String, After> after() {
        return Map.of(
                SEAL, (s, o) -> o.thrown() != null && o.thrown() != NonceReuseException.class
                        && s.args[0] instanceof UnusedNonce n && n.isConsumed()
                        ? "the refused seal consumed the nonce (documented: 'the nonce is not consumed')" : null,
                SEAL_WIRE, CryptoCases::noNonceDrawn,
                OPEN, (s, o) -> untouched(s, o, 3),
                OPEN_WIRE, (s, o) -> untouched(s, o, 2));
    }
}
