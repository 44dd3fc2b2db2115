package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.nonce.NonceSequence;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * What each secret and each nonce sequence has been taken for: a secret serves one algorithm, with at most one
 * {@link SealingKey}; a sequence serves one {@code SealingKey}. Both are checked and recorded here, under one lock,
 * when a key is made (never when it seals or opens).
 *
 * <p>Weak: a secret or a sequence that is gone takes its entry with it. Keyed by identity ({@code Secret.equals} and
 * {@code NonceSequence.equals} are identity, and final), so a second secret holding the same bytes is not caught.
 */
final class KeyUses {
    /** What one secret is taken for. */
    private record Use(Algorithm algorithm, boolean sealing) {
    }

    private static final Map<Secret<?>, Use> SECRETS = new WeakHashMap<>();
    private static final Map<NonceSequence, Boolean> SEQUENCES = new WeakHashMap<>();

    private KeyUses() {
    }

    /**
     * Takes {@code key} for sealing with {@code algorithm}, drawing its nonces from {@code sequence}.
     *
     * @throws IllegalStateException if the secret serves another algorithm or already has a sealing key, or the
     *                               sequence serves another sealing key; nothing is recorded then
     */
    static synchronized void takeForSealing(Secret<?> key, Algorithm algorithm, NonceSequence sequence) {
        Use use = checkAlgorithm(key, algorithm);
        if (use != null && use.sealing()) {
            throw new IllegalStateException("this secret already has a " + algorithm.displayName()
                    + " SealingKey; keep and reuse that one: a second would start a second nonce sequence for the"
                    + " same key, and the two could repeat nonces");
        }
        if (SEQUENCES.containsKey(sequence)) {
            throw new IllegalStateException("this nonce sequence is already bound to another key; "
                    + "give each key its own sequence");
        }
        SEQUENCES.put(sequence, Boolean.TRUE);
        SECRETS.put(key, new Use(algorithm, true));
    }

    /**
     * Takes {@code key} for opening with {@code algorithm}.
     *
     * @throws IllegalStateException if the secret serves another algorithm; nothing is recorded then
     */
    static synchronized void takeForOpening(Secret<?> key, Algorithm algorithm) {
        if (checkAlgorithm(key, algorithm) == null) {
            SECRETS.put(key, new Use(algorithm, false));
        }
    }

    private static Use checkAlgorithm(Secret<?> key, Algorithm algorithm) {
        Use use = SECRETS.get(key);
        if (use != null && use.algorithm() != algorithm) {
            throw new IllegalStateException("this secret already serves " + use.algorithm().displayName()
                    + "; it cannot also serve " + algorithm.displayName() + ": give each algorithm a secret of its"
                    + " own");
        }
        return use;
    }
}
