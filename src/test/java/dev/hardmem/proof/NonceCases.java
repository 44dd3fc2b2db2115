package dev.hardmem.proof;

import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.NonceExhaustedException;
import dev.hardmem.nonce.NonceReuseException;
import dev.hardmem.nonce.NonceSequence;
import dev.hardmem.nonce.UnusedNonce;
import dev.hardmem.nonce.UsedNonce;
import dev.hardmem.proof.Census.Bad;
import dev.hardmem.proof.Census.Fit;
import dev.hardmem.proof.Census.Kind;
import dev.hardmem.proof.Census.Rule;
import dev.hardmem.proof.Census.State;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hardmem.proof.Census.DIRECT;
import static dev.hardmem.proof.Census.IAE;
import static dev.hardmem.proof.Census.ISE;
import static dev.hardmem.proof.Census.accepted;
import static dev.hardmem.proof.Census.all;
import static dev.hardmem.proof.Census.bad;
import static dev.hardmem.proof.Census.exhaustedSequence;
import static dev.hardmem.proof.Census.fresh;
import static dev.hardmem.proof.Census.key;
import static dev.hardmem.proof.Census.only;
import static dev.hardmem.proof.Census.range;
import static dev.hardmem.proof.Census.rule;
import static dev.hardmem.proof.Census.throwing;

/** The census cases of package {@code dev.hardmem.nonce}: sequences and the nonces they hand out. */
final class NonceCases implements Census.Table {
    private static final String COUNTER_OF = "nonce.CounterNonceSequence#of(byte[],int)";

    @Override
    public Map<String, List<Bad>> numeric() {
        return Map.of(COUNTER_OF + "[1]", range(1, 8));
    }

    @Override
    public Map<Class<?>, List<Bad>> typed() {
        Map<Class<?>, List<Bad>> t = new LinkedHashMap<>();
        t.put(UnusedNonce.class, List.of(
                bad(Kind.USED_TWICE, "a consumed nonce", s -> {
                    UnusedNonce n = (UnusedNonce) s.valid;
                    n.consume();
                    return n;
                }, throwing(NonceReuseException.class, "documented: 'if nonce was already consumed'")),
                bad(Kind.OTHER_KEY, "a nonce of another key's sequence",
                        s -> SealingKey.of(Algorithm.CHACHA20_POLY1305, key(s, 32)).nonceSequence().next(),
                        throwing(IAE, "documented: 'if nonce comes from another sequence'"))));
        t.put(NonceSequence.class, List.of(
                bad(Kind.OTHER_KEY, "a sequence bound to another key", s -> SealingKey.of(
                        Algorithm.CHACHA20_POLY1305, key(s, 32), CounterNonceSequence.withRandomPrefix())
                                .nonceSequence(),
                        throwing(ISE, "documented: 'the sequence is bound to another key'")),
                bad(Kind.WRONG_LENGTH, "a sequence of 24-byte nonces",
                        s -> CounterNonceSequence.of(new byte[16], 8), accepted("any length unless the member needs"
                                + " one")),
                bad(Kind.EXHAUSTED, "an exhausted sequence", s -> exhaustedSequence(12),
                        accepted("no check of exhaustion is documented before the first seal"))));
        t.put(UsedNonce.class, List.of(bad(Kind.WRONG_LENGTH, "a 24-byte nonce",
                s -> UsedNonce.fromWire(new byte[24]), accepted("any length unless the member needs one"))));
        return t;
    }

    @Override
    public Map<Class<?>, List<State>> states() {
        Map<Class<?>, List<State>> st = new HashMap<>();
        st.put(UnusedNonce.class, List.of(
                new State(Kind.USED_TWICE, "consumed", (v, s) -> {
                    UnusedNonce n = (UnusedNonce) fresh(v, s);
                    n.consume();
                    return n;
                }, DIRECT, all(), throwing(NonceReuseException.class, "documented: 'if this nonce was already"
                        + " consumed'"))));
        List<State> sequence = List.of(
                new State(Kind.EXHAUSTED, "exhausted", (v, s) -> exhaustedSequence(12), DIRECT, all(),
                        accepted("an exhausted sequence still answers questions about itself")));
        st.put(NonceSequence.class, sequence);
        st.put(CounterNonceSequence.class, sequence);
        return st;
    }

    @Override
    public List<Rule> rules() {
        return List.of(
                rule("nonce.UnusedNonce#length()", "receiver", "consumed", accepted("no @throws")),
                rule("nonce.UnusedNonce#sequence()", "receiver", "consumed", accepted("no @throws")),
                rule("nonce.UnusedNonce#isConsumed()", "receiver", "consumed", accepted("documented: answers true")),
                rule("nonce.NonceSequence#next()", "receiver", "exhausted", throwing(NonceExhaustedException.class,
                        "documented: 'if the sequence has run out, now or on an earlier call'")),
                rule("nonce.UsedNonce#fromWire(byte[])", "[0]", "an empty array", throwing(IAE,
                        "documented: 'if bytes is empty'")));
    }

    @Override
    public Map<String, Fit> fits() {
        return Map.of(COUNTER_OF, (s, args) -> {
            args[0] = new byte[4];
            args[1] = 8;
        });
    }
}
