package dev.hardmem.proof;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Sealed;
import dev.hardmem.guarded.Allocation;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.testing.Dummies;
import dev.hardmem.testing.FreeWatch;
import dev.hardmem.testing.OtherThread;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Executable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The vocabulary of the bad-input census ({@link BadInputCensusTest}): what a bad value, a bad receiver state and a
 * case are, what a case must do, and the {@link Table} through which each API package contributes its cases.
 */
final class Census {
    /**
     * A refusal slower than this was not early: the library tried what it should have refused. Accepted cases are
     * not timed against it (their first call may warm up JCA or map a slab).
     */
    static final long SLOW_NANOS = TimeUnit.SECONDS.toNanos(2);
    static final long OTHER_THREAD_TIMEOUT_SECONDS = 10;

    private Census() {
    }

    // ================================================================ kinds and expectations

    /** The kind of bad input, for the tally. */
    enum Kind {
        NULL, NEGATIVE, ZERO, HUGE, MISALIGNED, OUT_OF_RANGE, CLOSED, WRONG_THREAD, USED_TWICE, OTHER_KEY,
        EXHAUSTED, IN_USE, EMPTY, WRONG_LENGTH, READ_ONLY, TOO_SMALL, TAMPERED, FAILING, ESCAPING, REENTRANT,
        PLATFORM, ANY_VALUE
    }

    /** What a case must do, and why. */
    sealed interface Expect permits Throws, Accepted, Dies {
        String why();
    }

    /** Throw one of {@code types}. */
    record Throws(List<Class<? extends Throwable>> types, String why) implements Expect {
        @Override
        public String toString() {
            return types.stream().map(Class::getSimpleName).collect(Collectors.joining(" or "));
        }
    }

    /** Return normally. */
    record Accepted(String why) implements Expect {
        @Override
        public String toString() {
            return "accepted";
        }
    }

    /** Return normally, after which the segment it returned or let escape throws {@code type} on use. */
    record Dies(Class<? extends Throwable> type, String why) implements Expect {
        @Override
        public String toString() {
            return "accepted, then its segment throws " + type.getSimpleName() + " on use";
        }
    }

    static Throws throwing(Class<? extends Throwable> type, String why) {
        return new Throws(List.of(type), why);
    }

    static Throws throwing(Class<? extends Throwable> a, Class<? extends Throwable> b, String why) {
        return new Throws(List.of(a, b), why);
    }

    static Accepted accepted(String why) {
        return new Accepted(why);
    }

    static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
    static final Class<IllegalStateException> ISE = IllegalStateException.class;
    static final Class<WrongThreadException> WTE = WrongThreadException.class;

    // ================================================================ what a case is made of

    /** Makes a value for a case, tracking in the scope whatever must be released afterwards. */
    @FunctionalInterface
    interface Maker {
        Object make(Scope s) throws Exception;
    }

    /** One bad value for a parameter. {@code number} is set for numeric values, which messages must name. */
    record Bad(Kind kind, String label, Maker value, Expect expect, Number number, boolean onOtherThread,
               boolean inChildJvm) {
    }

    static Bad bad(Kind kind, String label, Maker value, Expect expect) {
        return new Bad(kind, label, value, expect, null, false, false);
    }

    static Bad number(Kind kind, String label, Number n, Expect expect) {
        return new Bad(kind, label, s -> n, expect, n, false, false);
    }

    /** A receiver kind, e.g. a confined or a shared arena. */
    record Variant(String label, Maker receiver) {
    }

    /** Makes a receiver in a bad state from a receiver variant. */
    @FunctionalInterface
    interface StateMaker {
        Object make(Variant v, Scope s) throws Exception;
    }

    /** Runs a call in some context: directly, on another thread, inside a secret's own read or write. */
    @FunctionalInterface
    interface Around {
        Object call(Object receiver, Call call, OtherThread other) throws Throwable;
    }

    /** A call that may throw anything. */
    @FunctionalInterface
    interface Call {
        Object run() throws Throwable;
    }

    static final Around DIRECT = (r, call, other) -> call.run();
    static final Around ON_OTHER_THREAD = (r, call, other) -> {
        try {
            return other.call(() -> {
                try {
                    return call.run();
                } catch (Throwable t) {
                    throw new Carrier(t);
                }
            }, OTHER_THREAD_TIMEOUT_SECONDS);
        } catch (Carrier c) {
            throw c.getCause();
        }
    };
    static final Around INSIDE_OWN_READ = (r, call, other) -> {
        try {
            return ((Secret<?>) r).read(s -> {
                try {
                    return call.run();
                } catch (Throwable t) {
                    throw new Carrier(t);
                }
            });
        } catch (Carrier c) {
            throw c.getCause();
        }
    };

    static final Around INSIDE_OWN_WRITE = (r, call, other) -> {
        Object[] result = new Object[1];
        try {
            ((Secret<?>) r).write(s -> {
                try {
                    result[0] = call.run();
                } catch (Throwable t) {
                    throw new Carrier(t);
                }
            });
            return result[0];
        } catch (Carrier c) {
            throw c.getCause();
        }
    };

    /** A receiver in a bad state, for the members it {@code appliesTo} (by name). */
    record State(Kind kind, String label, StateMaker receiver, Around around, Predicate<Executable> appliesTo,
                 Expect expect) {
    }

    static Predicate<Executable> all() {
        return m -> true;
    }

    static Predicate<Executable> only(String... names) {
        Set<String> set = Set.of(names);
        return m -> set.contains(m.getName());
    }

    /** {@return a receiver of variant {@code v} in its ordinary state} */
    static Object fresh(Variant v, Scope s) throws Exception {
        return v.receiver().make(s);
    }

    /** One case: a member, a receiver variant, and either a bad value at {@code index} or a bad receiver state. */
    record Case(Executable member, String key, Variant variant, String where, Map<Integer, Object> fixed, int index,
                Bad bad, State state, Kind kind, String label, Expect expect) {
        String describe() {
            String at = index >= 0 ? "[" + index + "]" : "receiver";
            return key + (where.isEmpty() ? "" : " {" + where + "}") + " " + at + " = " + label;
        }
    }

    /** What one case did. {@code thrown} and {@code useThrown} are exception classes, or {@code null}. */
    record Outcome(Object result, Class<?> thrown, String thrownText, Class<?> useThrown, String useText,
                   long nanos) {
    }

    /** What one case made, released in reverse order after it; and what its makers need to share. */
    static final class Scope {
        final Deque<Object> made = new ArrayDeque<>();
        Object receiver;
        Object valid;
        Object[] args;
        MemorySegment escaped;
        boolean usedElsewhere;
        Throwable elsewhereThrown;
        Sealed sample;
        Secret<SecretKind.Key> sampleKey;
        MemorySegment destination;

        <T> T track(T o) {
            made.push(o);
            return o;
        }

        void release() {
            while (!made.isEmpty()) {
                Dummies.release(made.pop());
            }
        }
    }

    /** Carries a throwable through a lambda that may not throw it. */
    static final class Carrier extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Carrier(Throwable cause) {
            super(cause);
        }
    }

    /** Thrown by the callbacks the census plants; a method must let it through. */
    static final class Planted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Planted() {
            super("planted by the bad-input census");
        }
    }

    // ================================================================ values several packages use

    static Secret<SecretKind.Key> key(Scope s, int size) {
        return s.track(Secret.random(SecretKind.Key.class, size));
    }

    /** {@return a sequence of {@code nonceLength}-byte nonces that has handed out all it has} */
    static CounterNonceSequence exhaustedSequence(int nonceLength) {
        CounterNonceSequence q = CounterNonceSequence.of(new byte[nonceLength - 1], 1);
        for (int i = 0; i < 256; i++) {
            q.next();
        }
        return q;
    }

    // ================================================================ numbers

    static final String SILENT_HUGE = "javadoc silent on a size no address space can hold:"
            + " IllegalArgumentException, the JDK vocabulary for a bad size (STYLE.md rule 5)";
    static final String OVER_MAX_ALIGNMENT = "1 << 22 (a power of two above GuardedAllocator.MAX_ALIGNMENT)";

    /** Sizes from {@code minimum} up; {@code huge} is the expectation for the largest value of the type. */
    static List<Bad> sizes(Class<?> type, int minimum, Expect huge, boolean hugeInChild) {
        boolean isInt = type == int.class;
        Throws below = throwing(IAE, "documented: " + (minimum == 0 ? "negative" : "below 1") + " is refused");
        List<Bad> b = new ArrayList<>();
        b.add(number(Kind.NEGATIVE, "-1", isInt ? (Number) (-1) : (Number) (-1L), below));
        b.add(number(Kind.NEGATIVE, isInt ? "Integer.MIN_VALUE" : "Long.MIN_VALUE",
                isInt ? (Number) Integer.MIN_VALUE : (Number) Long.MIN_VALUE, below));
        b.add(number(Kind.ZERO, "0", isInt ? (Number) 0 : (Number) 0L, minimum == 0
                ? accepted("documented: 0 or more (an empty segment, as the JDK's Arena gives one)") : below));
        Number max = isInt ? (Number) Integer.MAX_VALUE : (Number) Long.MAX_VALUE;
        b.add(new Bad(Kind.HUGE, isInt ? "Integer.MAX_VALUE" : "Long.MAX_VALUE", s -> max, huge, max, false,
                hugeInChild));
        return b;
    }

    /** Alignments: zero, negative, not powers of two; then {@code more}. */
    static List<Bad> alignments(Bad... more) {
        Throws bad = throwing(IAE, "documented: the alignment must be a power of two");
        List<Bad> b = new ArrayList<>(List.of(
                number(Kind.MISALIGNED, "0", 0L, bad),
                number(Kind.MISALIGNED, "3", 3L, bad),
                number(Kind.MISALIGNED, "-8", -8L, bad),
                number(Kind.MISALIGNED, "Long.MIN_VALUE (one bit set, negative)", Long.MIN_VALUE, bad),
                number(Kind.MISALIGNED, "Long.MAX_VALUE", Long.MAX_VALUE, bad)));
        b.addAll(List.of(more));
        return b;
    }

    /** An {@code int} in {@code [low, high]}: the values just outside and the extremes. */
    static List<Bad> range(int low, int high) {
        Throws bad = throwing(IAE, "documented: " + low + " to " + high);
        return List.of(
                number(Kind.OUT_OF_RANGE, "-1", -1, bad),
                number(Kind.OUT_OF_RANGE, "Integer.MIN_VALUE", Integer.MIN_VALUE, bad),
                number(Kind.OUT_OF_RANGE, String.valueOf(low - 1), low - 1, bad),
                number(Kind.OUT_OF_RANGE, String.valueOf(high + 1), high + 1, bad),
                number(Kind.OUT_OF_RANGE, "Integer.MAX_VALUE", Integer.MAX_VALUE, bad));
    }

    /** A component of a value record, or an errno: every value is a value, none is refused. */
    static List<Bad> anyValue(Class<?> type, String why) {
        Accepted ok = accepted(why);
        if (type == int.class) {
            return List.of(number(Kind.ANY_VALUE, "-1", -1, ok),
                    number(Kind.ANY_VALUE, "Integer.MIN_VALUE", Integer.MIN_VALUE, ok),
                    number(Kind.ANY_VALUE, "Integer.MAX_VALUE", Integer.MAX_VALUE, ok));
        }
        return List.of(number(Kind.ANY_VALUE, "-1", -1L, ok),
                number(Kind.ANY_VALUE, "Long.MIN_VALUE", Long.MIN_VALUE, ok),
                number(Kind.ANY_VALUE, "Long.MAX_VALUE", Long.MAX_VALUE, ok));
    }

    // ================================================================ rules, fits and checks, by member

    /**
     * An expectation for one member that overrides the default of a bad value or state: {@code where} is
     * {@code "[i]"} or {@code "receiver"}; {@code variant} the receiver variant or fixed enum argument, or
     * {@code null} for any.
     */
    record Rule(String member, String where, String label, String variant, Expect expect) {
        boolean matches(Case c) {
            String at = c.index() >= 0 ? "[" + c.index() + "]" : "receiver";
            return member.equals(c.key()) && where.equals(at) && label.equals(c.label())
                    && (variant == null || variant.equals(c.where()));
        }
    }

    static Rule rule(String member, String where, String label, Expect expect) {
        return new Rule(member, where, label, null, expect);
    }

    static Rule rule(String member, String where, String label, String variant, Expect expect) {
        return new Rule(member, where, label, variant, expect);
    }

    /** Replaces dummy arguments with ones that fit the receiver, where validity depends on it. */
    @FunctionalInterface
    interface Fit {
        void fit(Scope s, Object[] args) throws Exception;
    }

    /** A check after a case: {@code null} if fine, else what is wrong. */
    @FunctionalInterface
    interface After {
        String check(Scope s, Outcome o);
    }

    static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** An accepted allocation is documented to be exactly the size asked for, aligned as asked, and zeroed. */
    static final After ALLOCATED = (s, o) -> {
        if (o.thrown() != null) {
            return null;
        }
        MemorySegment m = o.result() instanceof Allocation a ? a.segment()
                : o.result() instanceof MemorySegment r ? r : null;
        if (m == null) {
            return "returned no memory";
        }
        long asked = ((Number) s.args[0]).longValue();
        long alignment = s.args.length > 1 ? ((Number) s.args[1]).longValue() : 1;
        if (m.byteSize() != asked) {
            return "returned " + m.byteSize() + " bytes for " + asked;
        }
        if ((m.address() & (alignment - 1)) != 0) {
            return "returned memory not aligned to " + alignment;
        }
        return FreeWatch.isZero(m) ? null : "returned memory that is not zeroed";
    };

    // ================================================================ what a package contributes

    /**
     * The bad inputs of one API package and what each must do. Keys are {@link dev.hardmem.testing.PublicApi#key}
     * strings; {@code numeric} and {@code perMember} add {@code "[index]"}. Each key and each type belongs to one
     * table only.
     */
    interface Table {
        /** {@return the bad values of each numeric parameter, by {@code member[index]}} */
        default Map<String, List<Bad>> numeric() {
            return Map.of();
        }

        /** {@return bad values by parameter type, beyond {@code null}, each with its default expectation} */
        default Map<Class<?>, List<Bad>> typed() {
            return Map.of();
        }

        /** {@return bad values only one parameter of one member has, by {@code member[index]}} */
        default Map<String, List<Bad>> perMember() {
            return Map.of();
        }

        /** {@return receiver variants for the classes that have more than one kind; others get their dummy} */
        default Map<Class<?>, List<Variant>> receivers() {
            return Map.of();
        }

        /** {@return bad states of receivers, by the class that declares the member} */
        default Map<Class<?>, List<State>> states() {
            return Map.of();
        }

        /** {@return expectations for named members that override those of the bad values and states} */
        default List<Rule> rules() {
            return List.of();
        }

        /** {@return arguments made to fit the receiver, by member} */
        default Map<String, Fit> fits() {
            return Map.of();
        }

        /** {@return the documented side conditions of a refusal, or of an acceptance, by member} */
        default Map<String, After> after() {
            return Map.of();
        }
    }
}
