package dev.hardmem.crypto;

import dev.hardmem.internal.os.Sodium;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the AEAD tests may skip: AES-256-GCM on a CPU without it, never a missing libsodium. */
final class AeadAssume {
    private AeadAssume() {
    }

    /** Skips AES-256-GCM where libsodium cannot run it on this CPU; fails the test where libsodium is missing. */
    static void runs(AeadAlgorithm a) {
        assertTrue(Sodium.available(), "libsodium is missing (" + Sodium.missingReason()
                + "): apt-get install libsodium23");
        assumeTrue(a != AeadAlgorithm.AES_256_GCM || a.isAvailable(), a + " does not run on this CPU");
        assertTrue(a.isAvailable(), a + " is not available although libsodium is");
    }
}
