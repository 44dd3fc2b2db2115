package dev.hardmem.testing;

import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Calls a public constructor or method with {@code null} in one reference parameter and valid values in all the
 * others, and checks what it did: threw {@link NullPointerException}, as the null policy of every API package
 * demands, or returned normally where a parameter is documented to take {@code null}.
 *
 * <p>Receivers of instance methods come from a function of the declaring class, so that a class with several kinds
 * (implementations of a sealed class, keys of each algorithm) is called through each kind; by default, through its
 * {@link Dummies} value. The other arguments come from {@link Dummies}; a test may also give values that replace
 * the dummies of some types (heap segments where the dummies are native, another length), and a call with any of
 * those types among its other arguments is then made once more with them. A type without a dummy fails the call by
 * name.
 */
public final class NullHostility {
    private NullHostility() {
    }

    /** A kind of receiver: {@code label} names it in the case ({@code ""} for the only kind). */
    public record Receiver(String label, Supplier<?> maker) {
    }

    /** One call: {@code member} with {@code null} at {@code index}, on a receiver of kind {@code receiver}. */
    public record Case(Executable member, Receiver receiver, int index) {
        /** {@return {@code member[index]}, as {@link PublicApi#key} names the member} */
        public String key() {
            return PublicApi.key(member) + "[" + index + "]";
        }

        /** {@return the member, the receiver kind if there are several, and the parameter given null} */
        public String describe() {
            String kind = receiver == null || receiver.label().isEmpty() ? "" : " {" + receiver.label() + "}";
            return PublicApi.key(member) + kind + " [" + index + "] = null";
        }
    }

    /** {@return the receiver of {@code c}: its dummy} */
    public static List<Receiver> dummyReceiver(Class<?> c) {
        return List.of(new Receiver("", () -> Dummies.of(c).orElseThrow(() -> new AssertionError(
                "no dummy receiver of " + c.getName() + "; register one in " + Dummies.class.getName()))));
    }

    /**
     * {@return one case for each reference parameter of each member, for instance methods once per receiver kind
     * that {@code receivers} gives for the declaring class}
     */
    public static List<Case> cases(List<Executable> members, Function<Class<?>, List<Receiver>> receivers) {
        List<Case> cases = new ArrayList<>();
        for (Executable e : members) {
            Class<?>[] types = e.getParameterTypes();
            // A static member or constructor has no receiver: one round, with null for it.
            List<Receiver> kinds = isInstance(e) ? receivers.apply(e.getDeclaringClass())
                    : Collections.singletonList(null);
            for (Receiver r : kinds) {
                for (int i = 0; i < types.length; i++) {
                    if (!types[i].isPrimitive()) {
                        cases.add(new Case(e, r, i));
                    }
                }
            }
        }
        return cases;
    }

    private static boolean isInstance(Executable e) {
        return e instanceof Method m && !Modifier.isStatic(m.getModifiers());
    }

    /**
     * Asserts that {@code c} throws {@link NullPointerException}, with the dummies as the other arguments and
     * again, if they change one of them, with {@code otherValues} in place of the dummies of their types.
     */
    public static void assertRejectsNull(Case c, Map<Class<?>, Supplier<?>> otherValues) {
        for (Map<Class<?>, Supplier<?>> values : valueSets(c, otherValues)) {
            Outcome o = call(c, values);
            if (!(o.thrown() instanceof NullPointerException)) {
                throw new AssertionError(c.describe() + " " + o + with(values) + "; expected NullPointerException",
                        o.thrown());
            }
        }
    }

    /** Asserts that {@code c}, documented to take {@code null}, returns normally, with every set of values. */
    public static void assertAcceptsNull(Case c, Map<Class<?>, Supplier<?>> otherValues) {
        for (Map<Class<?>, Supplier<?>> values : valueSets(c, otherValues)) {
            Outcome o = call(c, values);
            if (o.thrown() != null) {
                throw new AssertionError(c.describe() + " " + o + with(values) + "; it is documented to take null",
                        o.thrown());
            }
        }
    }

    private static String with(Map<Class<?>, Supplier<?>> values) {
        return values.isEmpty() ? "" : " (with other values for " + values.keySet().stream()
                .map(Class::getSimpleName).sorted().toList() + ")";
    }

    /** {@return the dummies (no replacement), then {@code otherValues} if they change an argument of {@code c}} */
    private static List<Map<Class<?>, Supplier<?>>> valueSets(Case c, Map<Class<?>, Supplier<?>> otherValues) {
        Class<?>[] types = c.member().getParameterTypes();
        for (int i = 0; i < types.length; i++) {
            if (i != c.index() && otherValues.containsKey(types[i])) {
                return List.of(Map.of(), otherValues);
            }
        }
        return List.of(Map.of());
    }

    /** What one call did: returned {@code result}, or threw {@code thrown}. */
    private record Outcome(Object result, Throwable thrown) {
        @Override
        public String toString() {
            return thrown != null ? "threw " + thrown
                    : "returned normally (" + (result == null ? "null" : result.getClass().getSimpleName()) + ")";
        }
    }

    private static Outcome call(Case c, Map<Class<?>, Supplier<?>> values) {
        Executable e = c.member();
        Class<?>[] types = e.getParameterTypes();
        List<Object> made = new ArrayList<>();
        try {
            Object receiver = null;
            if (isInstance(e)) {
                receiver = c.receiver().maker().get();
                made.add(receiver);
            }
            Object[] args = new Object[types.length];
            for (int i = 0; i < types.length; i++) {
                if (i == c.index()) {
                    continue;
                }
                Supplier<?> given = values.get(types[i]);
                if (given != null) {
                    args[i] = given.get();
                } else if (types[i].isPrimitive()) {
                    args[i] = Dummies.primitive(types[i]);
                } else {
                    Optional<Object> d = Dummies.of(types[i]);
                    if (d.isEmpty()) {
                        throw new AssertionError("no dummy value of " + types[i].getName() + " for " + c.describe()
                                + "; register one in " + Dummies.class.getName());
                    }
                    args[i] = d.get();
                }
                made.add(args[i]);
            }
            Object result;
            try {
                result = e instanceof Method m ? m.invoke(receiver, args) : ((Constructor<?>) e).newInstance(args);
            } catch (InvocationTargetException ite) {
                return new Outcome(null, ite.getCause());
            }
            made.add(result);
            return new Outcome(result, null);
        } catch (ReflectiveOperationException | IllegalArgumentException ex) {
            throw new AssertionError(c.describe() + " could not be called", ex);
        } finally {
            made.forEach(Dummies::release);
        }
    }
}
