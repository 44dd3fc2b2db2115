package dev.hardmem.internal.os;

import java.lang.foreign.MemorySegment;

/**
 * The check that native access, which every downcall needs, is granted, made once before the first restricted
 * call.
 *
 * <p>Denied access ({@code --illegal-native-access=deny}, the default of a future JDK) fails with an
 * {@link UnsatisfiedLinkError} naming the flag to add. It is an {@code Error} on purpose: it is thrown while the
 * native layer initialises, inside class initialisers, and the JVM passes an {@code Error} up through them as it is,
 * where it would wrap an exception in {@link ExceptionInInitializerError} and, on every later use, report only that
 * wrapper without its message.
 */
@SuppressWarnings("restricted") // this package is where restricted calls are allowed to live
final class NativeAccess {
    private NativeAccess() {
    }

    /** Throws {@link UnsatisfiedLinkError} if this JVM denies hardmem native access. */
    static void require() {
        Module hardmem = NativeAccess.class.getModule();
        if (hardmem.isNativeAccessEnabled()) {
            return;
        }
        try {
            // Not enabled is not denied: under --illegal-native-access=warn (the default) this call prints the
            // JDK's warning, which the first downcall would print anyway, and goes on.
            MemorySegment.NULL.reinterpret(0);
        } catch (IllegalCallerException e) {
            UnsatisfiedLinkError denied = new UnsatisfiedLinkError("hardmem needs native access, which this JVM"
                    + " denies to " + (hardmem.isNamed() ? "module " + hardmem.getName() : "the class path")
                    + ": add --enable-native-access=dev.hardmem to the java command line when hardmem is on the"
                    + " module path, or --enable-native-access=ALL-UNNAMED when it is on the class path (or the line"
                    + " 'Enable-Native-Access: ALL-UNNAMED' to the manifest of an executable jar)");
            denied.initCause(e);
            throw denied;
        }
    }
}
