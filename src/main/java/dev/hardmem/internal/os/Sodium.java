package dev.hardmem.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * libsodium, found at run time: hardmem has no Java dependency on it, and everything but the native crypto works
 * without it.
 *
 * <p>The library is looked up once, by name through the dynamic loader: {@code libsodium.so.26}, then
 * {@code libsodium.so.23}, then {@code libsodium.so}; or only at the path given by the system property
 * {@value #PROPERTY}, for a library installed outside the loader's path. It is initialised with {@code sodium_init}
 * before its first use. What needs it calls {@link #require()} first, which throws, naming the package to install,
 * where the library is missing; the handles of the native types live in holder classes that initialise only after
 * that check passed.
 */
@SuppressWarnings("restricted") // this package is where restricted calls are allowed to live
public final class Sodium {
    /** The system property naming the library file to load instead of searching the loader's path. */
    public static final String PROPERTY = "dev.hardmem.libsodium";

    private static final List<String> NAMES = List.of("libsodium.so.26", "libsodium.so.23", "libsodium.so");
    private static final Linker LINKER = Linker.nativeLinker();

    private static final SymbolLookup LOOKUP;
    private static final String MISSING;
    private static final String VERSION;

    static {
        Platform.current();
        NativeAccess.require();
        String[] why = new String[1];
        SymbolLookup found = find(why);
        String version = null;
        if (found != null) {
            try {
                int r = (int) LINKER.downcallHandle(found.find("sodium_init").orElseThrow(),
                        FunctionDescriptor.of(JAVA_INT)).invokeExact();
                if (r < 0) {
                    why[0] = "sodium_init() failed (returned " + r + ")";
                    found = null;
                } else {
                    MemorySegment text = (MemorySegment) LINKER.downcallHandle(
                            found.find("sodium_version_string").orElseThrow(), FunctionDescriptor.of(ADDRESS))
                            .invokeExact();
                    version = text.reinterpret(64).getString(0);
                }
            } catch (Throwable t) {
                why[0] = "it could not be initialised: " + t;
                found = null;
            }
        }
        LOOKUP = found;
        MISSING = found == null ? why[0] : null;
        VERSION = version;
    }

    private Sodium() {
    }

    private static SymbolLookup find(String[] why) {
        String path = System.getProperty(PROPERTY);
        List<String> names = path == null ? NAMES : List.of(path);
        for (String name : names) {
            try {
                return SymbolLookup.libraryLookup(name, Arena.global());
            } catch (IllegalArgumentException notThere) {
                // try the next name
            }
        }
        why[0] = path == null ? "no " + String.join(", ", NAMES) + " on the dynamic loader's path"
                : "-D" + PROPERTY + "=" + path + " names no loadable library";
        return null;
    }

    /** {@return whether libsodium was found and initialised} */
    public static boolean available() {
        return LOOKUP != null;
    }

    /** {@return libsodium's version ({@code sodium_version_string()}), or {@code null} where it is missing} */
    public static String version() {
        return VERSION;
    }

    /** {@return why libsodium is unavailable, or {@code null} where it is available} */
    public static String missingReason() {
        return MISSING;
    }

    /** @throws UnsupportedOperationException naming the package to install, where libsodium is missing */
    public static void require() {
        if (LOOKUP == null) {
            throw new UnsupportedOperationException("hardmem's native crypto (dev.hardmem.crypto) and sealed secrets"
                    + " (dev.hardmem.sealed) need libsodium, which is missing: " + MISSING + ". Install it (Debian"
                    + " and Ubuntu: apt-get install libsodium23; Fedora: dnf install libsodium), or set -D" + PROPERTY
                    + "=<path to libsodium.so>. Secret, SecretArena and the JCA path in dev.hardmem.aead work"
                    + " without it.");
        }
    }

    /**
     * {@return a downcall handle to libsodium's {@code name}} Call only after {@link #require()} passed.
     *
     * @throws UnsupportedOperationException where libsodium is missing, or lacks {@code name} (too old a version)
     */
    public static MethodHandle handle(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        require();
        MemorySegment symbol = LOOKUP.find(name).orElseThrow(() -> new UnsupportedOperationException(
                "libsodium " + VERSION + " has no " + name + "; a newer libsodium is needed"));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }
}
