package dev.hardmem.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The native baselines: libc's {@code memset} and libsodium, called through downcall handles made here. Restricted
 * FFM calls are fine in the benchmarks (they are not the library); the library itself makes them only in
 * {@code dev.hardmem.internal.os}.
 *
 * <p>{@code memset}, {@code sodium_memzero}, {@code crypto_generichash} and XChaCha20-Poly1305 never block, so they
 * are linked
 * {@linkplain Linker.Option#critical critical}: the cheapest call the JDK can make, which gives the baselines their
 * best case. {@code sodium_malloc}
 * and {@code sodium_free} make system calls ({@code mmap}, {@code mlock}, {@code munmap}), and
 * {@code crypto_pwhash} runs for a tenth of a second, so they are linked normally.
 * Pointers are passed and returned as {@code long}s (the same registers on x86_64 and aarch64), so the calls
 * allocate nothing on the Java heap.
 */
@SuppressWarnings("restricted")
final class Native {
    /** The message every skipped libsodium baseline gives; it names the package to install. */
    static final String SODIUM_MISSING = "libsodium baseline skipped: " + sodiumName()
            + " was not found on this machine; apt-get install libsodium23 (Debian/Ubuntu) to run it."
            + " The other benchmarks are not affected.";

    private static final Linker LINKER = Linker.nativeLinker();

    /** {@code void *memset(void *s, int c, size_t n)}, critical. */
    static final MethodHandle MEMSET = LINKER.downcallHandle(LINKER.defaultLookup().find("memset").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG),
            Linker.Option.critical(false));

    private Native() {
    }

    /** {@return {@code memset(address, value, length)}} */
    static long memset(long address, int value, long length) {
        try {
            return (long) MEMSET.invokeExact(address, value, length);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@return a segment of {@code size} bytes at {@code address}, living as long as the global arena} */
    static MemorySegment at(long address, long size) {
        return MemorySegment.ofAddress(address).reinterpret(size);
    }

    /**
     * The library name to load: {@code libsodium.so.23}, or the value of the environment variable
     * {@code HARDMEM_BENCH_LIBSODIUM} (inherited by JMH's forks; set it to a name that does not exist to try the
     * message a machine without libsodium gets).
     */
    static String sodiumName() {
        String name = System.getenv("HARDMEM_BENCH_LIBSODIUM");
        return name == null || name.isBlank() ? "libsodium.so.23" : name;
    }

    /** libsodium, loaded once per JVM, or the reason it could not be. */
    static final class Sodium {
        private static final Sodium INSTANCE;
        private static final String FAILURE;

        static {
            Sodium s = null;
            String failure = null;
            try {
                s = new Sodium(SymbolLookup.libraryLookup(sodiumName(), Arena.global()));
                int rc;
                try {
                    rc = (int) s.init.invokeExact();
                } catch (Throwable t) {
                    throw new IllegalStateException("sodium_init failed", t);
                }
                if (rc < 0) {
                    failure = "sodium_init() returned " + rc;
                    s = null;
                }
            } catch (IllegalArgumentException e) { // libraryLookup: the library cannot be loaded
                failure = SODIUM_MISSING + " (" + e.getMessage() + ")";
            }
            INSTANCE = s;
            FAILURE = failure;
        }

        private final MethodHandle init;
        /** {@code void *sodium_malloc(size_t)}. */
        final MethodHandle malloc;
        /** {@code void sodium_free(void *)}. */
        final MethodHandle free;
        /** {@code void sodium_memzero(void *, size_t)}, critical. */
        final MethodHandle memzero;
        /**
         * {@code int crypto_pwhash(unsigned char *out, unsigned long long outlen, const char *passwd,
         * unsigned long long passwdlen, const unsigned char *salt, unsigned long long opslimit, size_t memlimit,
         * int alg)}.
         */
        final MethodHandle pwhash;
        /** {@code crypto_pwhash_alg_argon2id13()}. */
        final int argon2id13;
        /**
         * {@code int crypto_generichash(unsigned char *out, size_t outlen, const unsigned char *in,
         * unsigned long long inlen, const unsigned char *key, size_t keylen)}, critical.
         */
        final MethodHandle generichash;
        /**
         * {@code int crypto_aead_xchacha20poly1305_ietf_encrypt(unsigned char *c, unsigned long long *clen_p,
         * const unsigned char *m, unsigned long long mlen, const unsigned char *ad, unsigned long long adlen,
         * const unsigned char *nsec, const unsigned char *npub, const unsigned char *k)}, critical.
         */
        final MethodHandle xchachaEncrypt;
        /**
         * {@code int crypto_aead_xchacha20poly1305_ietf_decrypt(unsigned char *m, unsigned long long *mlen_p,
         * unsigned char *nsec, const unsigned char *c, unsigned long long clen, const unsigned char *ad,
         * unsigned long long adlen, const unsigned char *npub, const unsigned char *k)}, critical.
         */
        final MethodHandle xchachaDecrypt;

        private Sodium(SymbolLookup lib) {
            init = LINKER.downcallHandle(find(lib, "sodium_init"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            malloc = LINKER.downcallHandle(find(lib, "sodium_malloc"),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
            free = LINKER.downcallHandle(find(lib, "sodium_free"), FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
            memzero = LINKER.downcallHandle(find(lib, "sodium_memzero"),
                    FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                    Linker.Option.critical(false));
            pwhash = LINKER.downcallHandle(find(lib, "crypto_pwhash"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            generichash = LINKER.downcallHandle(find(lib, "crypto_generichash"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG),
                    Linker.Option.critical(false));
            FunctionDescriptor aead = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
            xchachaEncrypt = LINKER.downcallHandle(find(lib, "crypto_aead_xchacha20poly1305_ietf_encrypt"), aead,
                    Linker.Option.critical(false));
            xchachaDecrypt = LINKER.downcallHandle(find(lib, "crypto_aead_xchacha20poly1305_ietf_decrypt"), aead,
                    Linker.Option.critical(false));
            try {
                argon2id13 = (int) LINKER.downcallHandle(find(lib, "crypto_pwhash_alg_argon2id13"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact();
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        private static MemorySegment find(SymbolLookup lib, String name) {
            Optional<MemorySegment> s = lib.find(name);
            return s.orElseThrow(() -> new IllegalStateException(sodiumName() + " has no symbol " + name));
        }

        /**
         * {@return libsodium, initialised} Call it from a {@code @Setup} method: on a machine without libsodium it
         * throws, JMH reports that one benchmark as failed with the message, and goes on with the others.
         *
         * @throws IllegalStateException naming {@code apt-get install libsodium23}
         */
        static Sodium require() {
            if (INSTANCE == null) {
                System.err.println("hardmem-benchmarks: " + FAILURE);
                throw new IllegalStateException(FAILURE);
            }
            return INSTANCE;
        }

        /** {@return whether libsodium could be loaded} */
        static boolean available() {
            return INSTANCE != null;
        }

        long malloc(long size) {
            try {
                return (long) malloc.invokeExact(size);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        void free(long address) {
            try {
                free.invokeExact(address);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        void memzero(long address, long length) {
            try {
                memzero.invokeExact(address, length);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        /** {@return {@code crypto_generichash(out, outLength, in, inLength, NULL, 0)}: BLAKE2b, unkeyed} */
        int generichash(long out, long outLength, long in, long inLength) {
            try {
                return (int) generichash.invokeExact(out, outLength, in, inLength, 0L, 0L);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        /**
         * {@return {@code crypto_aead_xchacha20poly1305_ietf_encrypt(c, NULL, m, mLength, ad, adLength, NULL, npub,
         * k)}}: {@code mLength + 16} bytes of ciphertext and tag into {@code c}
         */
        int xchachaEncrypt(long c, long m, long mLength, long ad, long adLength, long npub, long k) {
            try {
                return (int) xchachaEncrypt.invokeExact(c, 0L, m, mLength, ad, adLength, 0L, npub, k);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        /**
         * {@return {@code crypto_aead_xchacha20poly1305_ietf_decrypt(m, NULL, NULL, c, cLength, ad, adLength, npub,
         * k)}: 0 if the tag verified}
         */
        int xchachaDecrypt(long m, long c, long cLength, long ad, long adLength, long npub, long k) {
            try {
                return (int) xchachaDecrypt.invokeExact(m, 0L, 0L, c, cLength, ad, adLength, npub, k);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        /** {@return {@code crypto_pwhash} with Argon2id: 0, or -1 where libsodium could not have the memory} */
        int argon2id(long out, long outLength, long password, long passwordLength, long salt, long opsLimit,
                     long memLimit) {
            try {
                return (int) pwhash.invokeExact(out, outLength, password, passwordLength, salt, opsLimit, memLimit,
                        argon2id13);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }
    }

    /**
     * Tells whether a page can be read, without touching it (a touch of a {@code PROT_NONE} page would kill the
     * JVM): {@code write(2)} of one byte from it into a pipe fails with {@code EFAULT} when it cannot.
     */
    static final class GuardProbe implements AutoCloseable {
        private static final MethodHandle PIPE = LINKER.downcallHandle(LINKER.defaultLookup().find("pipe")
                .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        private static final MethodHandle WRITE = LINKER.downcallHandle(LINKER.defaultLookup().find("write")
                .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        private static final MethodHandle READ = LINKER.downcallHandle(LINKER.defaultLookup().find("read")
                .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close")
                .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

        private final Arena arena = Arena.ofConfined();
        private final MemorySegment sink = arena.allocate(8);
        private final int readFd;
        private final int writeFd;

        GuardProbe() {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            try {
                if ((int) PIPE.invokeExact(fds) != 0) {
                    throw new IllegalStateException("pipe() failed");
                }
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            readFd = fds.getAtIndex(ValueLayout.JAVA_INT, 0);
            writeFd = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
        }

        /** {@return whether the byte at {@code address} can be read} */
        boolean readable(long address) {
            try {
                if ((long) WRITE.invokeExact(writeFd, address, 1L) != 1L) {
                    return false;
                }
                long ignored = (long) READ.invokeExact(readFd, sink.address(), 1L);
                return true;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        @Override
        public void close() {
            try {
                int a = (int) CLOSE.invokeExact(readFd);
                int b = (int) CLOSE.invokeExact(writeFd);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            arena.close();
        }
    }

    /** What {@code /proc/self} says about this process: mappings and memory, for the live-secret scale benchmark. */
    record Footprint(long mappings, long rssKiB, long lockedKiB) {
        static Footprint now() {
            try {
                long maps;
                try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
                    maps = lines.count();
                }
                long rss = 0;
                long lck = 0;
                List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
                for (String line : status) {
                    if (line.startsWith("VmRSS:")) {
                        rss = kib(line);
                    } else if (line.startsWith("VmLck:")) {
                        lck = kib(line);
                    }
                }
                return new Footprint(maps, rss, lck);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private static long kib(String line) {
            String[] parts = line.trim().split("\\s+");
            return Long.parseLong(parts[1]);
        }
    }
}
