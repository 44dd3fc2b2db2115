package dev.hardmem.internal.keys;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * What each key secret and each nonce sequence has been taken for, across every AEAD path of hardmem (JCA in
 * {@code dev.hardmem.aead}, native in {@code dev.hardmem.crypto}): a secret serves one algorithm, with at most one
 * sealing key on any path; a sequence serves one sealing key. Both are checked and recorded here, under one lock,
 * when a key is made (never when it seals or opens).
 *
 * <p>An algorithm is named by its usual name ({@code AES-256-GCM}, {@code ChaCha20-Poly1305},
 * {@code XChaCha20-Poly1305}): the JCA and the native ChaCha20-Poly1305 are one algorithm (RFC 8439, the same
 * bytes), so one secret may open on both, and seal on one.
 *
 * <p>Weak: a secret or a sequence that is gone takes its entry with it. Keyed by identity ({@code Secret.equals} and
 * {@code NonceSequence.equals} are identity, and final), so a second secret holding the same bytes is not caught.
 */
public final class KeyUses {
    /** What one secret is taken for. */
    private record Use(String algorithm, boolean sealing) {
    }

    private static final Map<Object, Use> SECRETS = new WeakHashMap<>();
    private static final Map<Object, Boolean> SEQUENCES = new WeakHashMap<>();

    private KeyUses() {
    }

    /**
     * Takes {@code key} for sealing with {@code algorithm}, drawing its nonces from {@code sequence}.
     *
     * @throws IllegalStateException if the secret serves another algorithm or already has a sealing key, or the
     *                               sequence serves another sealing key; nothing is recorded then
     */
    public static synchronized void takeForSealing(Object key, String algorithm, Object sequence) {
        Use use = checkAlgorithm(key, algorithm);
        if (use != null && use.sealing()) {
            throw new IllegalStateException("this secret already has a " + algorithm
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
    public static synchronized void takeForOpening(Object key, String algorithm) {
        if (checkAlgorithm(key, algorithm) == null) {
            SECRETS.put(key, new Use(algorithm, false));
        }
    }

    private static Use checkAlgorithm(Object key, String algorithm) {
        Use use = SECRETS.get(key);
        if (use != null && !use.algorithm().equals(algorithm)) {
            throw new IllegalStateException("this secret already serves " + use.algorithm()
                    + "; it cannot also serve " + algorithm + ": give each algorithm a secret of its own");
        }
        return use;
    }
}
