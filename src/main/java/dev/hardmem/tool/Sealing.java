package dev.hardmem.tool;

import dev.hardmem.Capabilities;
import dev.hardmem.sealed.SealedSecret;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code doctor} says about sealed secrets: whether they can be made here (libsodium), whether they worked in
 * the self-check, and what backs their key material.
 *
 * <p>The key material's allocator asks for {@code memfd_secret(2)} and takes anonymous memory where the kernel
 * refuses it; {@link Capabilities#memfdSecret()} says which, and why, and {@link SealedCheck} confirms it from the
 * mappings the key material landed in.
 *
 * @param available    whether libsodium was found ({@link SealedSecret#isAvailable()})
 * @param works        whether every check of {@link SealedCheck} passed (false where none ran)
 * @param libsodium    libsodium's version, or why it is missing
 * @param memfdSecret  whether {@code memfd_secret(2)} works here
 * @param memfdDetail  {@code "ok"}, or why {@code memfd_secret(2)} cannot be used
 */
record Sealing(boolean available, boolean works, String libsodium, boolean memfdSecret, String memfdDetail) {
    static Sealing of(Capabilities c, List<Check> checks) {
        boolean available = SealedSecret.isAvailable();
        boolean works = available && !checks.isEmpty() && checks.stream().allMatch(Check::passed);
        return new Sealing(available, works, c.libsodium(), c.memfdSecretWorks(), c.memfdSecret());
    }

    String value() {
        return !available ? "unavailable" : works ? "available" : "failing";
    }

    String meaning() {
        if (!available) {
            return "SealedSecret cannot be made: libsodium is missing (" + libsodium + "); "
                    + Doctor.INSTALL_LIBSODIUM;
        }
        if (!works) {
            return "libsodium " + libsodium + " is there, but sealing failed the self-check below";
        }
        return "SealedSecret works: XChaCha20-Poly1305 ciphertext at rest (libsodium " + libsodium
                + "), plaintext only inside read; proved in the self-check";
    }

    String keyValue() {
        return !available ? "none" : memfdSecret ? "memfd_secret" : "anonymous memory";
    }

    String keyMeaning() {
        if (!available) {
            return "no sealed secret can be made here";
        }
        String what = "the 16 KiB prekey (shielded) and the two 32-byte halves (coffer) are on isolated guarded"
                + " pages, locked and not dumped";
        return memfdSecret ? what + ", outside the kernel's direct map"
                : what + ", wiped on fork, in the kernel's direct map: memfd_secret is unavailable (" + memfdDetail
                + ")";
    }

    /** {@return the {@code sealed} object of {@code doctor --json}} */
    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("available", available);
        m.put("works", works);
        m.put("detail", available ? null : "libsodium is missing: " + libsodium);
        m.put("keyBacking", available ? (memfdSecret ? "memfd_secret" : "anonymous") : null);
        m.put("keyBackingDetail", available && !memfdSecret ? memfdDetail : null);
        return m;
    }
}
