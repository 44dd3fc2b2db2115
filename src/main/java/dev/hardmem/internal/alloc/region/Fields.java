package dev.hardmem.internal.alloc.region;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** Variable handles on the engine's own fields, for the few accesses that need acquire, release or CAS. */
public final class Fields {
    private Fields() {
    }

    /**
     * {@return a handle on the field {@code name} of type {@code type} of {@code owner}, found through
     * {@code lookup}} For static initialisers: a missing field is a bug, so it fails the class's initialisation.
     */
    public static VarHandle of(MethodHandles.Lookup lookup, Class<?> owner, String name, Class<?> type) {
        try {
            return lookup.findVarHandle(owner, name, type);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
