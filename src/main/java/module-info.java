/**
 * hardmem: secrets in memory the garbage collector never sees.
 *
 * <p>Only the API packages are exported. {@code dev.hardmem.internal.os}, the one package that makes restricted
 * FFM calls, and {@code dev.hardmem.tool}, the command line, are not.
 */
module dev.hardmem {
    requires jdk.management; // where the JVM writes its crash log: Hardening.crashLog()

    exports dev.hardmem;
    exports dev.hardmem.guarded;
    exports dev.hardmem.nonce;
    exports dev.hardmem.aead;
    exports dev.hardmem.crypto;
    exports dev.hardmem.sealed;
}
