package dev.hardmem.proof;

import dev.hardmem.Capabilities;
import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.OpeningKey;
import dev.hardmem.aead.Sealed;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.guarded.Allocation;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.guarded.MemoryBudgetException;
import dev.hardmem.guarded.Stats;
import dev.hardmem.guarded.Tier;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.NonceExhaustedException;
import dev.hardmem.nonce.NonceReuseException;
import dev.hardmem.nonce.NonceSequence;
import dev.hardmem.nonce.RandomNonceSequence;
import dev.hardmem.nonce.UnusedNonce;
import dev.hardmem.nonce.UsedNonce;
import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.Dummies;
import dev.hardmem.testing.FreeLog;
import dev.hardmem.testing.FreeWatch;
import dev.hardmem.testing.OtherThread;
import dev.hardmem.testing.PublicApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.crypto.AEADBadTagException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 7, "Proof of protection": every public constructor and method of every exported package, driven with bad
 * arguments and from receivers in bad states, throws the exception its javadoc documents (or, where the input is
 * legal after all, succeeds as documented); the JVM keeps running; and no secret that was live before is lost or
 * left unwiped.
 *
 * <h2>How the cases are made</h2>
 * The API is found by scanning the compiled classes of the packages {@code module-info} exports
 * ({@link PublicApi}), so a new member is driven without touching this test. For each parameter, bad values come
 * from its type: {@code null} for every reference; for numbers, the explicit table {@link #numericBads} (sizes get
 * negative, zero and the largest value; alignments zero, non-powers of two and over-alignment; counts values out of
 * range), and a numeric parameter missing from it fails the test by name; for other types, the catalogue
 * {@link #typedBads} (a closed secret or segment, a segment confined to another thread, a consumed nonce, a nonce
 * of another key's sequence, a freed allocation or one of another allocator, an empty array, a failing stream...).
 * For each instance method, the receiver is also put in bad states ({@link #states}): closed, used from another
 * thread, used twice, exhausted, bound to another key. The other arguments are valid: from {@link Dummies}, or made
 * to fit the receiver where validity depends on it ({@link #validArgs}).
 *
 * <h2>What each case must do</h2>
 * Each bad value and state carries its expected outcome, with the reason (the {@code @throws} or the package's
 * null policy that documents it); {@link #RULES} overrides it for named members, and a rule that matches nothing
 * fails the test so that none lingers. Where the javadoc is silent, the expectation is the JDK vocabulary of
 * STYLE.md rule 5 (for example {@link IllegalArgumentException} for a size no address space can hold), and the
 * reason says "javadoc silent". A refused number must also be named in the exception's message (rule 5, Agrona's
 * style). A refusal that takes longer than {@link #SLOW_NANOS} fails: a bad size must be refused, not tried.
 *
 * <h2>Bystanders</h2>
 * Before the first case, secrets of several sizes (slab and isolated), arena segments and allocations of the shared
 * allocator are filled with known bytes. After the last, each must hold exactly those bytes, the shared allocator's
 * canaries must verify with no new failure, and once they are closed, every one of their blocks, and every other
 * block freed during the run, must have been all zeros when it was freed ({@link FreeLog}).
 *
 * <p>The two cases that ask for a legal but 2 GiB secret ({@code Secret.readFrom} with capacity
 * {@code Integer.MAX_VALUE}) run in a child JVM: the guarded allocator locks and pools that memory for the life of
 * the process, which must not be the test JVM's.
 */
class BadInputTest {
    /**
     * A refusal slower than this was not early: the library tried what it should have refused. Accepted cases are
     * not timed against it (their first call may warm up JCA or map a slab).
     */
    private static final long SLOW_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long OTHER_THREAD_TIMEOUT_SECONDS = 10;

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

    private static Throws throwing(Class<? extends Throwable> type, String why) {
        return new Throws(List.of(type), why);
    }

    private static Throws throwing(Class<? extends Throwable> a, Class<? extends Throwable> b, String why) {
        return new Throws(List.of(a, b), why);
    }

    private static Accepted accepted(String why) {
        return new Accepted(why);
    }

    private static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
    private static final Class<IllegalStateException> ISE = IllegalStateException.class;
    private static final Class<WrongThreadException> WTE = WrongThreadException.class;

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

    private static Bad bad(Kind kind, String label, Maker value, Expect expect) {
        return new Bad(kind, label, value, expect, null, false, false);
    }

    private static Bad number(Kind kind, String label, Number n, Expect expect) {
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

    /** Runs a call in some context: directly, on another thread, inside a secret's own read. */
    @FunctionalInterface
    interface Around {
        Object call(Object receiver, Call call, OtherThread other) throws Throwable;
    }

    /** A call that may throw anything. */
    @FunctionalInterface
    interface Call {
        Object run() throws Throwable;
    }

    private static final Around DIRECT = (r, call, other) -> call.run();
    private static final Around ON_OTHER_THREAD = (r, call, other) -> {
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
    private static final Around INSIDE_OWN_READ = (r, call, other) -> {
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

    /** A receiver in a bad state, for the members it {@code appliesTo} (by name). */
    record State(Kind kind, String label, StateMaker receiver, Around around, Predicate<Executable> appliesTo,
                 Expect expect) {
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
    private static final class Carrier extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Carrier(Throwable cause) {
            super(cause);
        }
    }

    /** Reflection could not make the call at all: never an outcome of the library. */
    private static final class NotCalled extends Error {
        private static final long serialVersionUID = 1L;

        NotCalled(Throwable cause) {
            super(cause);
        }
    }

    /** Thrown by the callbacks this test plants; a method must let it through. */
    static final class Planted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Planted() {
            super("planted by BadInputTest");
        }
    }

    // ================================================================ numbers

    private static final String SILENT_HUGE = "javadoc silent on a size no address space can hold:"
            + " IllegalArgumentException, the JDK vocabulary for a bad size (STYLE.md rule 5)";

    /** Sizes from {@code minimum} up; {@code huge} is the expectation for the largest value of the type. */
    private static List<Bad> sizes(Class<?> type, int minimum, Expect huge, boolean hugeInChild) {
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
    private static List<Bad> alignments(Bad... more) {
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
    private static List<Bad> range(int low, int high) {
        Throws bad = throwing(IAE, "documented: " + low + " to " + high);
        return List.of(
                number(Kind.OUT_OF_RANGE, "-1", -1, bad),
                number(Kind.OUT_OF_RANGE, "Integer.MIN_VALUE", Integer.MIN_VALUE, bad),
                number(Kind.OUT_OF_RANGE, String.valueOf(low - 1), low - 1, bad),
                number(Kind.OUT_OF_RANGE, String.valueOf(high + 1), high + 1, bad),
                number(Kind.OUT_OF_RANGE, "Integer.MAX_VALUE", Integer.MAX_VALUE, bad));
    }

    /** A component of a value record, or an errno: every value is a value, none is refused. */
    private static List<Bad> anyValue(Class<?> type, String why) {
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

    private static final String OVER_PAGE = "1 << 20 (a power of two above the page size)";
    private static final String OVER_SLAB_ALIGNMENT = "32 (above the slab tier's 16)";
    private static final String OVER_SLAB_SIZE = "4097 (above the largest slab class)";

    /**
     * The bad values of every numeric parameter of the API, by {@code member[index]}: the explicit table. A numeric
     * parameter that is neither here nor a component of a value record fails the test.
     */
    private static Map<String, List<Bad>> numericBads(Expect hugeCapacity) {
        Map<String, List<Bad>> n = new HashMap<>();
        n.put("SecretArena#allocate(long,long)[0]", sizes(long.class, 0, throwing(IAE, SILENT_HUGE), false));
        n.put("SecretArena#allocate(long,long)[1]", alignments(number(Kind.MISALIGNED, OVER_PAGE, 1L << 20,
                throwing(IAE, "javadoc silent (it names only non-powers of two): the guarded allocator aligns to at"
                        + " most the page size, and IllegalArgumentException is the JDK vocabulary"))));
        n.put("Secret#random(Class,long)[1]", sizes(long.class, 1, throwing(IAE, SILENT_HUGE), false));
        n.put("Secret#withContents(Class,long,Consumer)[1]",
                sizes(long.class, 1, throwing(IAE, SILENT_HUGE), false));
        n.put("Secret#random(Class,long,GuardedAllocator)[1]",
                sizes(long.class, 1, throwing(IAE, SILENT_HUGE), false));
        n.put("Secret#withContents(Class,long,GuardedAllocator,Consumer)[1]",
                sizes(long.class, 1, throwing(IAE, SILENT_HUGE), false));
        n.put("Secret#readFrom(Class,InputStream,int)[2]", sizes(int.class, 1, hugeCapacity, true));
        n.put("Secret#readFrom(Class,ReadableByteChannel,int)[2]", sizes(int.class, 1, hugeCapacity, true));
        n.put("guarded.GuardedAllocator#allocate(long)[0]", sizes(long.class, 0, throwing(IAE,
                MemoryBudgetException.class, "documented: MemoryBudgetException when the memory cannot be locked"
                        + " (and no limit allows 2^63 bytes); IllegalArgumentException, the JDK vocabulary, also"
                        + " accepted"), false));
        n.put("guarded.GuardedAllocator#allocate(long,long)[0]",
                sizes(long.class, 0, throwing(IAE, SILENT_HUGE), false));
        n.put("guarded.GuardedAllocator#allocate(long,long)[1]", alignments(number(Kind.MISALIGNED, OVER_PAGE,
                1L << 20, throwing(IAE, "documented: a power of two up to the page size"))));
        List<Bad> tierSizes = new ArrayList<>(sizes(long.class, 0,
                throwing(IAE, "documented: the size does not fit the tier"), false));
        tierSizes.add(number(Kind.OUT_OF_RANGE, OVER_SLAB_SIZE, 4097L,
                accepted("documented: the isolated tier takes any size")));
        n.put("guarded.GuardedAllocator#allocate(long,long,Tier)[0]", tierSizes);
        n.put("guarded.GuardedAllocator#allocate(long,long,Tier)[1]", alignments(
                number(Kind.MISALIGNED, OVER_PAGE, 1L << 20, throwing(IAE, "documented: at most 16 for SLAB, at"
                        + " most the page size for ISOLATED")),
                number(Kind.MISALIGNED, OVER_SLAB_ALIGNMENT, 32L,
                        accepted("documented: the isolated tier aligns up to the page size"))));
        n.put("nonce.CounterNonceSequence#of(byte[],int)[1]", range(1, 8));
        n.put("SystemCallException#<init>(String,int,String)[1]",
                anyValue(int.class, "errno is whatever the call left; 0 when there was none"));
        return n;
    }

    // ================================================================ values of other types

    private static final byte[] SAMPLE = "sixteen bytes!!!".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static Secret<SecretKind.Key> key(Scope s, int size) {
        return s.track(Secret.random(SecretKind.Key.class, size));
    }

    /** {@return 16 bytes of a secret arena that has been closed (wiped and freed)} */
    private static MemorySegment closedSegment() {
        SecretArena a = SecretArena.ofConfined();
        MemorySegment m = a.allocate(16).fill((byte) 7);
        a.close();
        return m;
    }

    private static CounterNonceSequence exhaustedSequence(int nonceLength) {
        CounterNonceSequence q = CounterNonceSequence.of(new byte[nonceLength - 1], 1);
        for (int i = 0; i < 256; i++) {
            q.next();
        }
        return q;
    }

    private static InputStream failingStream() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("planted by BadInputTest");
            }
        };
    }

    private static InputStream bytes(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 0x33);
        return new ByteArrayInputStream(b);
    }

    /** Bad values by parameter type, beyond {@code null}, each with its default expectation. */
    private static Map<Class<?>, List<Bad>> typedBads(OtherThread other, boolean memfdSecretWorks) {
        Map<Class<?>, List<Bad>> t = new LinkedHashMap<>();
        t.put(MemorySegment.class, List.of(
                bad(Kind.CLOSED, "a segment of a closed arena", s -> closedSegment(), throwing(ISE,
                        "documented wherever a segment is taken: 'not alive'")),
                bad(Kind.WRONG_THREAD, "a segment confined to another thread",
                        s -> other.confinedSegment(16, (byte) 9), throwing(WTE,
                        "documented wherever a segment is taken: 'confined to another thread'")),
                bad(Kind.READ_ONLY, "a read-only view", s -> ((MemorySegment) s.valid).asReadOnly(),
                        accepted("a segment that is only read may be read-only"))));
        t.put(ByteBuffer.class, List.of(
                bad(Kind.READ_ONLY, "a read-only buffer", s -> ((ByteBuffer) s.valid).asReadOnlyBuffer(),
                        throwing(ReadOnlyBufferException.class, "documented: 'if the buffer is read-only'")),
                bad(Kind.CLOSED, "a direct buffer over a closed arena", s -> {
                    SecretArena a = SecretArena.ofConfined();
                    ByteBuffer b = a.allocate(16).fill((byte) 7).asByteBuffer();
                    a.close();
                    return b;
                }, throwing(ISE, "javadoc silent: IllegalStateException, as the JDK throws for memory that is not"
                        + " alive")),
                bad(Kind.WRONG_THREAD, "a direct buffer over memory confined to another thread",
                        s -> other.confinedSegment(16, (byte) 9).asByteBuffer(), throwing(WTE,
                        "javadoc silent: WrongThreadException, as the JDK throws for confined memory"))));
        t.put(byte[].class, List.of(bad(Kind.EMPTY, "an empty array", s -> new byte[0],
                accepted("no minimum length is documented"))));
        t.put(char[].class, List.of(bad(Kind.EMPTY, "an empty array", s -> new char[0],
                accepted("no minimum length is documented"))));
        t.put(Secret.class, List.of(
                bad(Kind.CLOSED, "a closed secret", s -> {
                    Secret<SecretKind.Key> k = key(s, 32);
                    k.close();
                    return k;
                }, throwing(ISE, "documented: 'if the key is closed', 'if either secret is closed'")),
                bad(Kind.WRONG_LENGTH, "a 16-byte key", s -> key(s, 16),
                        accepted("any size unless the member needs a key length"))));
        t.put(UnusedNonce.class, List.of(
                bad(Kind.USED_TWICE, "a consumed nonce", s -> {
                    UnusedNonce n = (UnusedNonce) s.valid;
                    n.consume();
                    return n;
                }, throwing(NonceReuseException.class, "documented: 'if nonce was already consumed'")),
                bad(Kind.OTHER_KEY, "a nonce of another key's sequence",
                        s -> SealingKey.of(Algorithm.CHACHA20_POLY1305, key(s, 32)).nonceSequence().next(),
                        throwing(IAE, "documented: 'if nonce comes from another sequence'"))));
        t.put(NonceSequence.class, List.of(
                bad(Kind.OTHER_KEY, "a sequence bound to another key", s -> {
                    NonceSequence q = CounterNonceSequence.withRandomPrefix();
                    q.bindTo(new Object());
                    return q;
                }, throwing(ISE, "documented: 'the sequence is bound to another key'")),
                bad(Kind.WRONG_LENGTH, "a sequence of 24-byte nonces", s -> RandomNonceSequence.of192Bits(),
                        accepted("any length unless the member needs one")),
                bad(Kind.EXHAUSTED, "an exhausted sequence", s -> exhaustedSequence(12),
                        accepted("no check of exhaustion is documented before the first seal"))));
        t.put(Allocation.class, List.of(
                bad(Kind.USED_TWICE, "a freed allocation", s -> {
                    Allocation a = (Allocation) s.valid;
                    a.close();
                    return a;
                }, throwing(ISE, "documented: 'if it was already freed'")),
                bad(Kind.OTHER_KEY, "an allocation of another allocator",
                        s -> s.track(GuardedAllocator.shared().allocate(16)),
                        throwing(IAE, "documented: 'if this allocator did not hand it out'")),
                new Bad(Kind.WRONG_THREAD, "its own allocation, freed from another thread", s -> s.valid,
                        throwing(WTE, "documented: 'if called from a thread other than the one that allocated"
                                + " it'"), null, true, false)));
        t.put(UsedNonce.class, List.of(bad(Kind.WRONG_LENGTH, "a 24-byte nonce",
                s -> UsedNonce.fromWire(new byte[24]), accepted("any length unless the member needs one"))));
        t.put(InputStream.class, List.of(
                bad(Kind.EMPTY, "an empty stream", s -> bytes(0),
                        throwing(IAE, "documented: 'if the stream holds ... none'")),
                bad(Kind.OUT_OF_RANGE, "a stream of 17 bytes for a capacity of 16", s -> bytes(17),
                        throwing(IAE, "documented: 'if the stream holds more than capacity bytes'")),
                bad(Kind.FAILING, "a stream that fails", s -> failingStream(),
                        throwing(IOException.class, "documented: 'if the stream fails'"))));
        t.put(ReadableByteChannel.class, List.of(
                bad(Kind.EMPTY, "an empty channel", s -> Channels.newChannel(bytes(0)),
                        throwing(IAE, "documented: 'if the channel holds ... none'")),
                bad(Kind.OUT_OF_RANGE, "a channel of 17 bytes for a capacity of 16",
                        s -> Channels.newChannel(bytes(17)),
                        throwing(IAE, "documented: 'if the channel holds more than capacity bytes'")),
                bad(Kind.FAILING, "a channel that fails", s -> Channels.newChannel(failingStream()),
                        throwing(IOException.class, "documented: 'if the channel fails'"))));
        t.put(GuardedAllocator.class, List.of(bad(Kind.CLOSED, "a closed allocator", s -> {
            GuardedAllocator g = GuardedAllocator.create(GuardPolicy.defaults());
            g.close();
            return g;
        }, throwing(ISE, "javadoc silent: IllegalStateException, the JDK vocabulary for a closed resource (STYLE.md"
                + " rule 5)"))));
        t.put(GuardPolicy.class, List.of(bad(Kind.PLATFORM, "a policy requiring memfd_secret",
                s -> GuardPolicy.defaults().withBacking(GuardPolicy.Backing.MEMFD_SECRET), memfdSecretWorks
                        ? accepted("memfd_secret works on this machine")
                        : throwing(UnsupportedOperationException.class,
                        "documented: 'if the policy requires memfd_secret and it is unavailable'"))));
        t.put(Function.class, List.of(
                bad(Kind.ESCAPING, "a reader that lets the segment escape", s -> (Function<MemorySegment, Object>)
                        m -> m, new Dies(ISE, "documented: 'a reference that escapes throws IllegalStateException"
                        + " on use'")),
                bad(Kind.WRONG_THREAD, "a reader that hands the segment to another thread",
                        s -> (Function<MemorySegment, Object>) m -> touchElsewhere(s, m, other),
                        new Dies(WTE, "documented: an escaping reference throws 'WrongThreadException from another"
                                + " thread'")),
                bad(Kind.FAILING, "a reader that throws", s -> (Function<MemorySegment, Object>) m -> {
                    throw new Planted();
                }, throwing(Planted.class, "its exception propagates"))));
        t.put(Consumer.class, List.of(
                bad(Kind.ESCAPING, "a writer that lets the segment escape", s -> (Consumer<MemorySegment>)
                        m -> s.escaped = m, new Dies(ISE, "documented: the segment 'dies when the writer returns'")),
                bad(Kind.WRONG_THREAD, "a writer that hands the segment to another thread",
                        s -> (Consumer<MemorySegment>) m -> touchElsewhere(s, m, other),
                        new Dies(WTE, "documented: the segment is 'confined to the calling thread'")),
                bad(Kind.FAILING, "a writer that throws", s -> (Consumer<MemorySegment>) m -> {
                    throw new Planted();
                }, throwing(Planted.class, "documented for withContents: 'the exception propagates'"))));
        return t;
    }

    /** Touches {@code m} from the other thread, recording what that did, for {@link Dies}. */
    private static Object touchElsewhere(Scope s, MemorySegment m, OtherThread other) {
        s.usedElsewhere = true;
        try {
            other.call(() -> m.get(ValueLayout.JAVA_BYTE, 0), OTHER_THREAD_TIMEOUT_SECONDS);
        } catch (Throwable t) {
            s.elsewhereThrown = t;
        }
        return null;
    }

    /** Bad values only one parameter of one member has, by {@code member[index]}. */
    private static Map<String, List<Bad>> memberBads() {
        String open = "aead.OpeningKey#open(UsedNonce,MemorySegment,MemorySegment,MemorySegment)";
        Throws badTag = throwing(AEADBadTagException.class,
                "documented: 'if the ciphertext, tag, nonce or AAD is not what was sealed'");
        Map<String, List<Bad>> m = new HashMap<>();
        m.put(open + "[0]", List.of(bad(Kind.TAMPERED, "the nonce of another message", s -> {
            byte[] n = s.sample.nonce().bytes();
            n[0] ^= 1;
            return UsedNonce.fromWire(n);
        }, badTag)));
        m.put(open + "[1]", List.of(
                bad(Kind.OTHER_KEY, "a ciphertext sealed by another key", s -> MemorySegment.ofArray(
                        SealingKey.of(algorithmOf(s), key(s, 32))
                                .seal(MemorySegment.ofArray(SAMPLE), MemorySegment.ofArray(new byte[0]))
                                .ciphertext()), badTag),
                bad(Kind.TOO_SMALL, "a ciphertext shorter than the tag", s -> MemorySegment.ofArray(new byte[8]),
                        throwing(AEADBadTagException.class, "documented: 'including a ciphertext shorter than the"
                                + " tag'")),
                bad(Kind.TAMPERED, "a ciphertext with one bit flipped", s -> {
                    byte[] c = s.sample.ciphertext().clone();
                    c[3] ^= 0x10;
                    return MemorySegment.ofArray(c);
                }, badTag)));
        m.put(open + "[2]", List.of(bad(Kind.TAMPERED, "other additional data",
                s -> MemorySegment.ofArray(new byte[] {1}), badTag)));
        m.put(open + "[3]", List.of(bad(Kind.TOO_SMALL, "a destination one byte too small",
                s -> MemorySegment.ofArray(new byte[SAMPLE.length - 1]),
                throwing(IAE, "documented: 'if ... the destination is too small'"))));
        return m;
    }

    private static Algorithm algorithmOf(Scope s) {
        return s.receiver instanceof OpeningKey o ? o.algorithm() : Algorithm.CHACHA20_POLY1305;
    }

    // ================================================================ receivers and their bad states

    /** Receiver variants for the classes that have more than one kind; the others get their {@link Dummies}. */
    private static Map<Class<?>, List<Variant>> receivers() {
        Map<Class<?>, List<Variant>> r = new HashMap<>();
        r.put(SecretArena.class, List.of(
                new Variant("confined", s -> s.track(SecretArena.ofConfined())),
                new Variant("shared", s -> s.track(SecretArena.ofShared())),
                new Variant("confined unguarded", s -> s.track(SecretArena.ofConfinedUnguarded())),
                new Variant("shared unguarded", s -> s.track(SecretArena.ofSharedUnguarded()))));
        List<Variant> sealing = new ArrayList<>();
        List<Variant> opening = new ArrayList<>();
        for (Algorithm a : Algorithm.values()) {
            sealing.add(new Variant(a.name(),
                    s -> SealingKey.of(a, key(s, 32), CounterNonceSequence.withRandomPrefix())));
            opening.add(new Variant(a.name(), s -> {
                Secret<SecretKind.Key> k = key(s, 32);
                // Sealed now, while the key is open: a state may close it before the case runs.
                s.sample = SealingKey.of(a, k).seal(MemorySegment.ofArray(SAMPLE), MemorySegment.ofArray(new byte[0]));
                s.sampleKey = k;
                return OpeningKey.of(a, k);
            }));
        }
        r.put(SealingKey.class, sealing);
        r.put(OpeningKey.class, opening);
        return r;
    }

    private static Predicate<Executable> all() {
        return m -> true;
    }

    private static Predicate<Executable> only(String... names) {
        Set<String> set = Set.of(names);
        return m -> set.contains(m.getName());
    }

    private static Object fresh(Variant v, Scope s) throws Exception {
        return v.receiver().make(s);
    }

    /** Bad states of receivers, by the class that declares the member, each with its default expectation. */
    private static Map<Class<?>, List<State>> states() {
        Map<Class<?>, List<State>> st = new HashMap<>();
        st.put(Secret.class, List.of(
                new State(Kind.CLOSED, "closed", (v, s) -> {
                    Secret<?> x = (Secret<?>) fresh(v, s);
                    x.close();
                    return x;
                }, DIRECT, all(), throwing(ISE, "documented: 'if the secret is closed'")),
                new State(Kind.WRONG_THREAD, "used from another thread", BadInputTest::fresh, ON_OTHER_THREAD,
                        all(), accepted("documented: not confined; 'reads and writes may run on several threads"
                        + " at once', close 'waits for reads and writes in progress on other threads'")),
                new State(Kind.REENTRANT, "called inside its own read", BadInputTest::fresh, INSIDE_OWN_READ,
                        all(), accepted("documented: 'reads and writes may nest'"))));
        st.put(SecretArena.class, List.of(
                new State(Kind.CLOSED, "closed", (v, s) -> {
                    SecretArena a = (SecretArena) fresh(v, s);
                    a.close();
                    return a;
                }, DIRECT, all(), throwing(ISE, "documented: after close(), allocate and a second close() throw"
                        + " IllegalStateException")),
                new State(Kind.WRONG_THREAD, "used from another thread", BadInputTest::fresh, ON_OTHER_THREAD,
                        all(), throwing(WTE, "documented: 'if this arena is confined to another thread'"))));
        st.put(GuardedAllocator.class, List.of(
                new State(Kind.CLOSED, "closed", (v, s) -> {
                    GuardedAllocator g = (GuardedAllocator) fresh(v, s);
                    g.close();
                    return g;
                }, DIRECT, only("allocate", "free", "verify", "close"), throwing(ISE, "documented: 'Afterwards"
                        + " allocate, free, verify, close ... throw IllegalStateException'")),
                new State(Kind.IN_USE, "the shared default instance", (v, s) -> GuardedAllocator.shared(), DIRECT,
                        only("close"), throwing(UnsupportedOperationException.class, "documented: 'for shared()'")),
                new State(Kind.IN_USE, "with a live allocation", (v, s) -> {
                    GuardedAllocator g = (GuardedAllocator) fresh(v, s);
                    s.track(g.allocate(16));
                    return g;
                }, DIRECT, only("close"), throwing(ISE, "documented: 'if secrets are still live'"))));
        st.put(Allocation.class, List.of(
                new State(Kind.CLOSED, "freed", (v, s) -> {
                    Allocation a = (Allocation) fresh(v, s);
                    a.close();
                    return a;
                }, DIRECT, all(), throwing(ISE, "documented: 'if it is already freed'")),
                new State(Kind.WRONG_THREAD, "used from another thread", BadInputTest::fresh, ON_OTHER_THREAD,
                        all(), throwing(WTE, "documented: 'if called from a thread other than the one that"
                        + " allocated it'"))));
        st.put(UnusedNonce.class, List.of(
                new State(Kind.USED_TWICE, "consumed", (v, s) -> {
                    UnusedNonce n = (UnusedNonce) fresh(v, s);
                    n.consume();
                    return n;
                }, DIRECT, all(), throwing(NonceReuseException.class, "documented: 'if this nonce was already"
                        + " consumed'"))));
        List<State> sequence = List.of(
                new State(Kind.EXHAUSTED, "exhausted", (v, s) -> exhaustedSequence(12), DIRECT, all(),
                        accepted("an exhausted sequence still answers questions about itself")),
                new State(Kind.OTHER_KEY, "bound to another key", (v, s) -> {
                    NonceSequence q = (NonceSequence) fresh(v, s);
                    q.bindTo(new Object());
                    return q;
                }, DIRECT, only("bindTo"), throwing(ISE, "documented: 'if this sequence is already bound to"
                        + " another object'")));
        st.put(NonceSequence.class, sequence);
        st.put(CounterNonceSequence.class, sequence.subList(0, 1));
        st.put(SealingKey.class, List.of(
                new State(Kind.CLOSED, "its key closed", (v, s) -> {
                    Object k = fresh(v, s);
                    closeKeysIn(s);
                    return k;
                }, DIRECT, all(), throwing(ISE, "documented: 'if the key is closed'; the nonce is not consumed")),
                new State(Kind.EXHAUSTED, "its sequence exhausted", (v, s) -> SealingKey.of(
                        Algorithm.valueOf(v.label()), key(s, 32), exhaustedSequence(12)), DIRECT,
                        m -> m.getName().equals("seal") && m.getParameterCount() == 2,
                        throwing(NonceExhaustedException.class,
                        "documented: 'if the sequence has run out'")),
                new State(Kind.WRONG_THREAD, "used from another thread", BadInputTest::fresh, ON_OTHER_THREAD,
                        only("seal"), accepted("documented: 'may be used by any number of threads at once'"))));
        st.put(OpeningKey.class, List.of(
                new State(Kind.CLOSED, "its key closed", (v, s) -> {
                    Object k = fresh(v, s);
                    closeKeysIn(s);
                    return k;
                }, DIRECT, all(), throwing(ISE, "documented: 'if the key is closed'")),
                new State(Kind.WRONG_THREAD, "used from another thread", BadInputTest::fresh, ON_OTHER_THREAD,
                        only("open"), accepted("documented: 'may be used by any number of threads at once'"))));
        return st;
    }

    private static void closeKeysIn(Scope s) {
        for (Object o : s.made) {
            if (o instanceof Secret<?> k && !k.isDestroyed()) {
                k.close();
            }
        }
    }

    // ================================================================ rules: member-specific expectations

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

    private static Rule rule(String member, String where, String label, Expect expect) {
        return new Rule(member, where, label, null, expect);
    }

    private static Rule rule(String member, String where, String label, String variant, Expect expect) {
        return new Rule(member, where, label, variant, expect);
    }

    private static final String CAPABILITIES = "Capabilities#<init>(long,long,long,boolean,String,boolean,boolean,"
            + "long,long,String,int,long,int,boolean,int,String)";
    private static final String OPEN = "aead.OpeningKey#open(UsedNonce,MemorySegment,MemorySegment,MemorySegment)";
    private static final String SEAL_NONCE = "aead.SealingKey#seal(UnusedNonce,MemorySegment,MemorySegment)";
    private static final String SEAL = "aead.SealingKey#seal(MemorySegment,MemorySegment)";

    private static final List<Rule> RULES = List.of(
            rule(CAPABILITIES, "[9]", "null", accepted("documented: corePattern is null when core_pattern is"
                    + " unreadable")),

            rule("Secret#size()", "receiver", "closed", accepted("no @throws: a closed secret keeps its size")),
            rule("Secret#kind()", "receiver", "closed", accepted("no @throws: a closed secret keeps its kind")),
            rule("Secret#isDestroyed()", "receiver", "closed", accepted("documented: answers true")),
            rule("Secret#close()", "receiver", "called inside its own read", throwing(ISE,
                    "documented: 'if called from inside this secret's own read or write'")),
            rule("Secret#destroy()", "receiver", "called inside its own read", throwing(ISE,
                    "documented: 'as close() does'")),
            rule("Secret#fromBytesWiping(Class,byte[])", "[1]", "an empty array", throwing(IAE,
                    "documented: 'if source is empty'")),
            rule("Secret#fromCharsWiping(Class,char[])", "[1]", "an empty array", throwing(IAE,
                    "documented: 'if source is empty'")),

            rule("SecretArena#scope()", "receiver", "closed", accepted("Arena.scope(): the scope of a closed arena,"
                    + " no longer alive")),
            rule("SecretArena#scope()", "receiver", "used from another thread", accepted("Arena.scope() has no"
                    + " confinement check")),
            rule("SecretArena#allocate(long,long)", "receiver", "used from another thread", "shared",
                    accepted("documented: 'ofShared() arenas may be used and closed from any thread'")),
            rule("SecretArena#allocate(long,long)", "receiver", "used from another thread", "shared unguarded",
                    accepted("documented: shared arenas may be used from any thread")),
            rule("SecretArena#close()", "receiver", "used from another thread", "shared",
                    accepted("documented: 'ofShared() arenas may be used and closed from any thread'")),
            rule("SecretArena#close()", "receiver", "used from another thread", "shared unguarded",
                    accepted("documented: shared arenas may be closed from any thread")),
            rule("SecretArena#allocate(long,long)", "[1]", OVER_PAGE, "confined unguarded",
                    accepted("the C heap aligns to any power of two, as Arena's contract allows")),
            rule("SecretArena#allocate(long,long)", "[1]", OVER_PAGE, "shared unguarded",
                    accepted("the C heap aligns to any power of two, as Arena's contract allows")),

            rule("Wipe#segment(MemorySegment)", "[0]", "a read-only view", throwing(
                    UnsupportedOperationException.class, "documented: 'if the segment is read-only'")),

            rule("guarded.GuardedAllocator#free(Allocation)", "receiver", "closed", throwing(IAE,
                    "a closed allocator has no live allocation, so the one given is another's: documented 'if this"
                            + " allocator did not hand it out'")),
            rule("guarded.GuardedAllocator#allocate(long,long,Tier)", "[0]", OVER_SLAB_SIZE, "tier=SLAB",
                    throwing(IAE, "documented: 'if size or alignment do not fit the tier'")),
            rule("guarded.GuardedAllocator#allocate(long,long,Tier)", "[1]", OVER_SLAB_ALIGNMENT, "tier=SLAB",
                    throwing(IAE, "documented: 'at most 16 for SLAB'")),
            rule("guarded.Allocation#segment()", "receiver", "freed", new Dies(ISE,
                    "documented: the segment 'dies when the allocation is freed, so a use after free throws"
                            + " IllegalStateException'")),
            rule("guarded.Allocation#tier()", "receiver", "freed", accepted("no @throws")),
            rule("guarded.Allocation#segment()", "receiver", "used from another thread", new Dies(WTE,
                    "documented: the segment 'is confined to the thread that allocated it'")),
            rule("guarded.Allocation#tier()", "receiver", "used from another thread", accepted("no @throws")),

            rule("nonce.UnusedNonce#length()", "receiver", "consumed", accepted("no @throws")),
            rule("nonce.UnusedNonce#sequence()", "receiver", "consumed", accepted("no @throws")),
            rule("nonce.UnusedNonce#isConsumed()", "receiver", "consumed", accepted("documented: answers true")),
            rule("nonce.NonceSequence#next()", "receiver", "exhausted", throwing(NonceExhaustedException.class,
                    "documented: 'if the sequence has run out, now or on an earlier call'")),
            rule("nonce.UsedNonce#fromWire(byte[])", "[0]", "an empty array", throwing(IAE,
                    "documented: 'if bytes is empty'")),

            rule("aead.SealingKey#algorithm()", "receiver", "its key closed", accepted("no @throws")),
            rule("aead.SealingKey#nonceSequence()", "receiver", "its key closed", accepted("no @throws")),
            rule("aead.SealingKey#of(Algorithm,Secret)", "[1]", "a 16-byte key", throwing(IAE,
                    "documented: 'if the key has the wrong length'")),
            rule("aead.SealingKey#of(Algorithm,Secret,NonceSequence)", "[1]", "a 16-byte key", throwing(IAE,
                    "documented: 'if the key ... ha(s) the wrong length'")),
            rule("aead.SealingKey#of(Algorithm,Secret,NonceSequence)", "[2]", "a sequence of 24-byte nonces",
                    throwing(IAE, "documented: 'if ... the sequence's nonces have the wrong length'")),
            rule("aead.OpeningKey#of(Algorithm,Secret)", "[1]", "a 16-byte key", throwing(IAE,
                    "documented: 'if the key has the wrong length'")),
            rule("aead.OpeningKey#algorithm()", "receiver", "its key closed", accepted("no @throws")),
            rule(OPEN, "[0]", "a 24-byte nonce", throwing(IAE, "documented: 'if the nonce has the wrong length'")),
            rule(OPEN, "[3]", "a read-only view", throwing(IAE, "documented: 'if ... the destination is ..."
                    + " read-only'")));

    // ================================================================ valid arguments that fit the receiver

    /** {@return valid arguments for {@code c}: dummies, the fixed enum values, and what fits the receiver} */
    private static Object[] validArgs(Case c, Scope s) throws Exception {
        Class<?>[] types = c.member().getParameterTypes();
        Object[] args = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            if (c.fixed().containsKey(i)) {
                args[i] = c.fixed().get(i);
            } else if (types[i].isPrimitive()) {
                args[i] = Dummies.primitive(types[i]);
            } else {
                int at = i;
                args[i] = s.track(Dummies.of(types[i]).orElseThrow(
                        () -> new IllegalStateException("no dummy for " + types[at].getName())));
            }
        }
        switch (c.key()) {
            case SEAL_NONCE -> args[0] = ((SealingKey) s.receiver).nonceSequence().next();
            case OPEN -> {
                args[0] = s.sample.nonce();
                args[1] = MemorySegment.ofArray(s.sample.ciphertext().clone());
                args[2] = MemorySegment.ofArray(new byte[0]);
                s.destination = MemorySegment.ofArray(new byte[SAMPLE.length]).fill(MARKER);
                args[3] = s.destination;
            }
            case "guarded.GuardedAllocator#free(Allocation)" -> {
                GuardedAllocator g = (GuardedAllocator) s.receiver;
                try {
                    args[0] = s.track(g.allocate(16));
                } catch (IllegalStateException closed) {
                    // A closed allocator hands out nothing: the dummy of the shared allocator stays.
                }
            }
            case "aead.SealingKey#of(Algorithm,Secret)", "aead.SealingKey#of(Algorithm,Secret,NonceSequence)",
                 "aead.OpeningKey#of(Algorithm,Secret)" -> args[1] = key(s, 32);
            case "nonce.CounterNonceSequence#of(byte[],int)" -> {
                args[0] = new byte[4];
                args[1] = 8;
            }
            default -> {
            }
        }
        return args;
    }

    private static final byte MARKER = 0x5A;

    // ================================================================ checks after a case

    /** A check after a case: {@code null} if fine, else what is wrong. */
    @FunctionalInterface
    interface After {
        String check(Scope s, Outcome o);
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** An accepted allocation is documented to be exactly the size asked for, aligned as asked, and zeroed. */
    private static final After ALLOCATED = (s, o) -> {
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

    /** The documented side conditions of a refusal, or of an acceptance, by member. */
    private static final Map<String, After> AFTER = Map.of(
            "SecretArena#allocate(long,long)", ALLOCATED,
            "guarded.GuardedAllocator#allocate(long)", ALLOCATED,
            "guarded.GuardedAllocator#allocate(long,long)", ALLOCATED,
            "guarded.GuardedAllocator#allocate(long,long,Tier)", ALLOCATED,
            SEAL_NONCE, (s, o) -> o.thrown() != null && o.thrown() != NonceReuseException.class
                    && s.args[0] instanceof UnusedNonce n && n.isConsumed()
                    ? "the refused seal consumed the nonce (documented: 'the nonce is not consumed')" : null,
            SEAL, (s, o) -> {
                if (o.thrown() == null || o.thrown() == NonceExhaustedException.class
                        || !(s.receiver instanceof SealingKey k) || k.nonceSequence().isExhausted()) {
                    return null;
                }
                byte[] next = k.nonceSequence().next().consume().bytes();
                return allZero(Arrays.copyOfRange(next, CounterNonceSequence.RANDOM_PREFIX_LENGTH, next.length))
                        ? null : "the refused seal drew a nonce (documented: 'no nonce is drawn')";
            },
            OPEN, (s, o) -> {
                if (o.thrown() == null || s.destination == null || s.args[3] != s.destination) {
                    return null;
                }
                byte[] d = s.destination.toArray(ValueLayout.JAVA_BYTE);
                for (byte b : d) {
                    if (b != MARKER) {
                        return "the refused open wrote to the destination (documented: 'nothing is written')";
                    }
                }
                return null;
            },
            "Secret#fromBytesWiping(Class,byte[])", (s, o) -> o.thrown() != null && s.args[1] instanceof byte[] b
                    && !allZero(b) ? "the source was not wiped although the method failed (documented: 'source is"
                    + " wiped ... also when this method fails')" : null,
            "Secret#fromCharsWiping(Class,char[])", (s, o) -> {
                if (o.thrown() == null || !(s.args[1] instanceof char[] c)) {
                    return null;
                }
                for (char x : c) {
                    if (x != 0) {
                        return "the source was not wiped although the method failed (documented: 'source is"
                                + " wiped ... also when this method fails')";
                    }
                }
                return null;
            });

    // ================================================================ making the cases

    private static final Set<Class<?>> VARIED_ENUMS = Set.of(Tier.class, Algorithm.class);

    private static boolean isInstance(Executable m) {
        return m instanceof Method method && !Modifier.isStatic(method.getModifiers());
    }

    private static boolean isRecordComponent(Executable m, int i) {
        Class<?> c = m.getDeclaringClass();
        if (!(m instanceof Constructor<?>) || !c.isRecord()) {
            return false;
        }
        RecordComponent[] rc = c.getRecordComponents();
        Class<?>[] types = m.getParameterTypes();
        if (rc.length != types.length) {
            return false;
        }
        for (int k = 0; k < rc.length; k++) {
            if (rc[k].getType() != types[k]) {
                return false;
            }
        }
        return true;
    }

    /** {@return every combination of the constants of the varied enum parameters other than {@code except}} */
    private static List<Map<Integer, Object>> enumCombinations(Executable m, int except) {
        List<Map<Integer, Object>> combos = List.of(Map.of());
        Class<?>[] types = m.getParameterTypes();
        for (int i = 0; i < types.length; i++) {
            if (i == except || !VARIED_ENUMS.contains(types[i])) {
                continue;
            }
            List<Map<Integer, Object>> next = new ArrayList<>();
            for (Map<Integer, Object> c : combos) {
                for (Object constant : types[i].getEnumConstants()) {
                    Map<Integer, Object> m2 = new TreeMap<>(c);
                    m2.put(i, constant);
                    next.add(m2);
                }
            }
            combos = next;
        }
        return combos;
    }

    private static String where(Variant v, Executable m, Map<Integer, Object> fixed) {
        List<String> parts = new ArrayList<>();
        if (!v.label().isEmpty()) {
            parts.add(v.label());
        }
        Class<?>[] types = m.getParameterTypes();
        fixed.forEach((i, val) -> parts.add(types[i].getSimpleName().toLowerCase(java.util.Locale.ROOT) + "="
                + val));
        return String.join(", ", parts);
    }

    private record Generated(List<Case> cases, List<String> problems, Set<Rule> usedRules) {
    }

    private static Generated generate(List<Executable> members, Map<String, List<Bad>> numeric,
                                      Map<Class<?>, List<Bad>> typed, Map<String, List<Bad>> perMember,
                                      Map<Class<?>, List<Variant>> receivers, Map<Class<?>, List<State>> states) {
        List<Case> cases = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Set<Rule> usedRules = new HashSet<>();
        Bad nullBad = bad(Kind.NULL, "null", s -> null, throwing(NullPointerException.class,
                "documented: the package's null policy (package-info)"));
        for (Executable m : members) {
            String key = PublicApi.key(m);
            List<Variant> variants;
            if (!isInstance(m)) {
                variants = List.of(new Variant("", null));
            } else {
                Class<?> c = m.getDeclaringClass();
                variants = receivers.getOrDefault(c, List.of(new Variant("", s -> s.track(Dummies.of(c)
                        .orElseThrow(() -> new IllegalStateException("no dummy receiver " + c.getName()))))));
            }
            Class<?>[] types = m.getParameterTypes();
            for (int i = 0; i < types.length; i++) {
                List<Bad> bads = new ArrayList<>();
                String param = key + "[" + i + "]";
                if (types[i].isPrimitive()) {
                    if (types[i] == boolean.class) {
                        continue; // both values are values
                    }
                    List<Bad> n = numeric.get(param);
                    if (n == null && isRecordComponent(m, i)) {
                        n = anyValue(types[i], "a component of a value record: every value is a value");
                    }
                    if (n == null) {
                        problems.add("no bad values for the numeric parameter " + param + " ("
                                + types[i].getSimpleName() + "): add it to numericBads");
                        continue;
                    }
                    bads.addAll(n);
                } else {
                    bads.add(nullBad);
                    bads.addAll(typed.getOrDefault(types[i], List.of()));
                    bads.addAll(perMember.getOrDefault(param, List.of()));
                }
                for (Variant v : variants) {
                    for (Map<Integer, Object> fixed : enumCombinations(m, i)) {
                        for (Bad b : bads) {
                            cases.add(resolve(m, key, v, fixed, i, b, null, usedRules));
                        }
                    }
                }
            }
            if (isInstance(m)) {
                for (State st : states.getOrDefault(m.getDeclaringClass(), List.of())) {
                    if (!st.appliesTo().test(m)) {
                        continue;
                    }
                    for (Variant v : variants) {
                        for (Map<Integer, Object> fixed : enumCombinations(m, -1)) {
                            cases.add(resolve(m, key, v, fixed, -1, null, st, usedRules));
                        }
                    }
                }
            }
        }
        return new Generated(cases, problems, usedRules);
    }

    private static Case resolve(Executable m, String key, Variant v, Map<Integer, Object> fixed, int index, Bad b,
                                State st, Set<Rule> usedRules) {
        String label = b != null ? b.label() : st.label();
        Kind kind = b != null ? b.kind() : st.kind();
        if (st != null && st.kind() == Kind.CLOSED && Set.of("close", "destroy").contains(m.getName())) {
            kind = Kind.USED_TWICE; // closed, then closed again
        }
        Expect expect = b != null ? b.expect() : st.expect();
        Case c = new Case(m, key, v, where(v, m, fixed), fixed, index, b, st, kind, label, expect);
        for (Rule r : RULES) {
            if (r.matches(c)) {
                usedRules.add(r);
                return new Case(m, key, v, c.where(), fixed, index, b, st, kind, label, r.expect());
            }
        }
        return c;
    }

    // ================================================================ running them

    private static Object invoke(Executable m, Object receiver, Object[] args) throws Throwable {
        try {
            return m instanceof Method method ? method.invoke(receiver, args)
                    : ((Constructor<?>) m).newInstance(args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            throw new NotCalled(e);
        }
    }

    /** Touches the segment a case returned or let escape, on the thread of the call; {@return what it threw} */
    private static Throwable use(Scope s, Object result) {
        if (s.usedElsewhere) {
            return s.elsewhereThrown;
        }
        MemorySegment m = s.escaped != null ? s.escaped : result instanceof MemorySegment r ? r : null;
        if (m == null) {
            return new AssertionError("no segment to use");
        }
        try {
            m.get(ValueLayout.JAVA_BYTE, 0);
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    private static Outcome execute(Case c, Scope s, OtherThread other) throws Exception {
        Executable m = c.member();
        Object receiver = null;
        if (isInstance(m)) {
            receiver = c.state() != null ? c.state().receiver().make(c.variant(), s)
                    : c.variant().receiver().make(s);
            s.receiver = receiver;
        }
        Object[] args = validArgs(c, s);
        if (c.index() >= 0) {
            s.valid = args[c.index()];
            args[c.index()] = c.bad().value().make(s);
        }
        s.args = args;
        Around around = c.state() != null ? c.state().around()
                : c.bad().onOtherThread() ? ON_OTHER_THREAD : DIRECT;
        boolean probe = c.expect() instanceof Dies;
        Object[] box = new Object[2];
        Object r = receiver;
        long t0 = System.nanoTime();
        Throwable thrown = null;
        try {
            around.call(r, () -> {
                Object result = invoke(m, r, args);
                box[0] = result;
                if (probe) {
                    box[1] = use(s, result);
                }
                return result;
            }, other);
        } catch (Throwable t) {
            thrown = t;
        }
        long nanos = System.nanoTime() - t0;
        if (box[0] != null) {
            s.track(box[0]);
        }
        Throwable used = (Throwable) box[1];
        return new Outcome(box[0], thrown == null ? null : thrown.getClass(), String.valueOf(thrown),
                used == null ? null : used.getClass(), String.valueOf(used), nanos);
    }

    /** {@return why the outcome is wrong, or {@code null}} */
    private static String judge(Case c, Outcome o) {
        if (o.thrown() == NotCalled.class) {
            return "could not be called: " + o.thrownText();
        }
        boolean refusal = c.expect() instanceof Throws || c.kind() == Kind.HUGE;
        if (refusal && o.nanos() > SLOW_NANOS && (c.bad() == null || !c.bad().inChildJvm())) {
            return "took " + o.nanos() / 1_000_000 + " ms: a bad input must be refused early";
        }
        String what = o.thrown() == null ? "returned normally" : "threw " + o.thrownText();
        return switch (c.expect()) {
            case Throws t -> {
                if (o.thrown() == null || t.types().stream().noneMatch(k -> k.isAssignableFrom(o.thrown()))) {
                    yield what + "; expected " + t;
                }
                Number n = c.bad() == null ? null : c.bad().number();
                if (n != null && o.thrown() == IllegalArgumentException.class
                        && !o.thrownText().contains(String.valueOf(n))) {
                    yield what + "; the message does not name the value " + n + " (STYLE.md rule 5)";
                }
                yield null;
            }
            case Accepted a -> o.thrown() == null ? null : what + "; expected it to be accepted";
            case Dies d -> {
                if (o.thrown() != null) {
                    yield what + "; expected " + d;
                }
                if (o.useThrown() == null || !d.type().isAssignableFrom(o.useThrown())) {
                    yield "returned normally, but using its segment "
                            + (o.useThrown() == null ? "worked" : "threw " + o.useText()) + "; expected " + d;
                }
                yield null;
            }
        };
    }

    // ================================================================ the 2 GiB cases, in a child JVM

    /**
     * Child JVM: {@code Secret.readFrom} with capacity {@code Integer.MAX_VALUE}, for the overloads named in the
     * arguments ({@code InputStream}, {@code ReadableByteChannel}); prints one line per overload: its name, then
     * {@code accepted} or the exception's class and message, then the milliseconds it took.
     */
    public static final class HugeCapacity {
        public static void main(String[] args) {
            byte[] four = {1, 2, 3, 4};
            for (String which : args) {
                long t0 = System.nanoTime();
                String outcome;
                try (Secret<SecretKind.Key> s = which.equals("InputStream")
                        ? Secret.readFrom(SecretKind.Key.class, new ByteArrayInputStream(four), Integer.MAX_VALUE)
                        : Secret.readFrom(SecretKind.Key.class, Channels.newChannel(new ByteArrayInputStream(four)),
                        Integer.MAX_VALUE)) {
                    outcome = s.size() == 4 && Arrays.equals(s.insecureCopyToHeap(), four) ? "accepted"
                            : "wrong\tthe secret does not hold the 4 bytes read";
                } catch (Throwable t) {
                    outcome = t.getClass().getName() + "\t" + t.getMessage();
                }
                System.out.println(which + "\t" + outcome + "\t" + (System.nanoTime() - t0) / 1_000_000);
            }
        }
    }

    /** {@return the outcomes of the 2 GiB cases, by the simple name of the source type} */
    private static Map<String, Outcome> runHugeCapacityChild() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Xmx256m"), HugeCapacity.class,
                "InputStream", "ReadableByteChannel");
        Map<String, Outcome> out = new HashMap<>();
        for (String line : r.stdout().strip().lines().toList()) {
            String[] f = line.split("\t");
            if (f.length < 3) {
                continue;
            }
            long nanos = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(f[f.length - 1]));
            if (f[1].equals("accepted")) {
                out.put(f[0], new Outcome(null, null, "null", null, "null", nanos));
            } else {
                Class<?> type;
                try {
                    type = Class.forName(f[1]);
                } catch (ClassNotFoundException e) {
                    type = AssertionError.class;
                }
                out.put(f[0], new Outcome(null, type, f[1] + ": " + f[2], null, "null", nanos));
            }
        }
        if (out.size() != 2) {
            throw new AssertionError("the 2 GiB child did not report both cases:\n" + r.output());
        }
        return out;
    }

    // ================================================================ bystanders

    /** Secrets that are live before the first case and must come through every case intact. */
    private static final class Bystanders {
        final List<Secret<?>> secrets = new ArrayList<>();
        final List<byte[]> digests = new ArrayList<>();
        final SecretArena arena = SecretArena.ofConfined();
        final List<MemorySegment> segments = new ArrayList<>();
        final List<Allocation> allocations = new ArrayList<>();
        /** Address to size of every block a bystander holds. */
        final Map<Long, Long> blocks = new LinkedHashMap<>();

        Bystanders() {
            secrets.add(Secret.random(SecretKind.Key.class, 32));
            secrets.add(Secret.random(SecretKind.Seed.class, 3000));
            secrets.add(Secret.random(SecretKind.Key.class, 5000));
            secrets.add(Secret.random(SecretKind.Seed.class, 70_000));
            secrets.add(Secret.fromCharsWiping(SecretKind.Password.class, "correct horse battery".toCharArray()));
            for (Secret<?> s : secrets) {
                digests.add(digest(s));
                long[] at = s.read(m -> new long[] {m.address(), m.byteSize()});
                blocks.put(at[0], at[1]);
            }
            int seed = 1;
            for (long size : new long[] {1, 16, 100, 4096, 5000, 70_000}) {
                MemorySegment m = arena.allocate(size);
                fill(m, seed++);
                segments.add(m);
                blocks.put(m.address(), m.byteSize());
            }
            for (long size : new long[] {48, 8192}) {
                Allocation a = GuardedAllocator.shared().allocate(size);
                fill(a.segment(), seed++);
                allocations.add(a);
                blocks.put(a.segment().address(), a.segment().byteSize());
            }
        }

        static void fill(MemorySegment m, int seed) {
            for (long i = 0; i < m.byteSize(); i++) {
                m.set(ValueLayout.JAVA_BYTE, i, pattern(i, seed));
            }
        }

        static byte pattern(long i, int seed) {
            return (byte) (i * 31 + seed * 7 + 1);
        }

        static byte[] digest(Secret<?> s) {
            return s.read(m -> {
                try {
                    MessageDigest d = MessageDigest.getInstance("SHA-256");
                    d.update(m.asByteBuffer());
                    return d.digest();
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        /** {@return what is no longer as it was} */
        List<String> check() {
            List<String> lost = new ArrayList<>();
            for (int i = 0; i < secrets.size(); i++) {
                Secret<?> s = secrets.get(i);
                if (s.isDestroyed()) {
                    lost.add("bystander " + s + " was closed");
                } else if (!Arrays.equals(digests.get(i), digest(s))) {
                    lost.add("bystander " + s + " no longer holds its bytes");
                }
            }
            int seed = 1;
            for (MemorySegment m : segments) {
                if (!holds(m, seed++)) {
                    lost.add("bystander arena segment of " + m.byteSize() + " bytes no longer holds its pattern");
                }
            }
            for (Allocation a : allocations) {
                if (!holds(a.segment(), seed++)) {
                    lost.add("bystander " + a + " no longer holds its pattern");
                }
            }
            return lost;
        }

        static boolean holds(MemorySegment m, int seed) {
            for (long i = 0; i < m.byteSize(); i++) {
                if (m.get(ValueLayout.JAVA_BYTE, i) != pattern(i, seed)) {
                    return false;
                }
            }
            return true;
        }

        void close() {
            for (Allocation a : allocations) {
                a.close();
            }
            arena.close();
            for (Secret<?> s : secrets) {
                s.close();
            }
        }
    }

    // ================================================================ the test

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void everyPublicMemberRefusesBadInputAsDocumentedAndSparesLiveSecrets() throws Exception {
        List<String> failures = new ArrayList<>();
        List<String> accepted = new ArrayList<>();
        List<String> silent = new ArrayList<>();
        Map<Kind, int[]> byKind = new EnumMap<>(Kind.class);
        int documented = 0;
        int tried = 0;
        Set<String> membersTried = new HashSet<>();
        List<Executable> members = new ArrayList<>();
        for (Class<?> c : PublicApi.classes()) {
            members.addAll(PublicApi.members(c));
        }
        Capabilities caps = Capabilities.probe();
        // Capacity Integer.MAX_VALUE is legal; it needs 2 GiB (and a page) locked, which RLIMIT_MEMLOCK may deny.
        long needed = (1L << 31) + 2 * caps.pageSize();
        Expect hugeCapacity = caps.memlockUnlimited() || caps.memlockSoft() >= needed
                ? accepted("documented: the capacity is 'at least 1'; Integer.MAX_VALUE is legal")
                : throwing(MemoryBudgetException.class, "documented (GuardPolicy.Lock.REQUIRE): RLIMIT_MEMLOCK "
                + caps.memlockSoft() + " cannot lock 2 GiB");
        Map<String, Outcome> huge = null;

        Dummies.release(Dummies.of(SealingKey.class).orElseThrow()); // makes the dummies' one AEAD key, for good
        Stats shared0 = GuardedAllocator.shared().stats();
        long blocksFreed;
        long dirtyFreed;
        List<String> bystanderReport = new ArrayList<>();
        OtherThread other = OtherThread.start();
        try (FreeLog log = FreeLog.start()) {
            Bystanders bystanders = new Bystanders();
            Stats before = GuardedAllocator.shared().stats();

            Generated g = generate(members, numericBads(hugeCapacity), typedBads(other, caps.memfdSecretWorks()),
                    memberBads(), receivers(), states());
            g.problems().forEach(p -> failures.add("[table] " + p));
            for (Rule r : RULES) {
                if (!g.usedRules().contains(r)) {
                    failures.add("[table] rule matches no case, remove it: " + r.member() + " " + r.where() + " = "
                            + r.label() + (r.variant() == null ? "" : " {" + r.variant() + "}"));
                }
            }

            for (Case c : g.cases()) {
                tried++;
                membersTried.add(c.key());
                int[] k = byKind.computeIfAbsent(c.kind(), x -> new int[2]);
                k[0]++;
                Scope s = new Scope();
                String problem;
                Outcome o = null;
                try {
                    if (c.bad() != null && c.bad().inChildJvm()) {
                        if (huge == null) {
                            huge = runHugeCapacityChild();
                        }
                        o = huge.get(c.member().getParameterTypes()[1].getSimpleName());
                    } else {
                        o = execute(c, s, other);
                    }
                    problem = judge(c, o);
                    After after = AFTER.get(c.key());
                    if (problem == null && after != null) {
                        problem = after.check(s, o);
                    }
                } catch (Exception | Error e) {
                    problem = "the case could not be set up: " + e;
                } finally {
                    s.release();
                }
                if (c.expect().why().startsWith("javadoc silent")) {
                    silent.add(c.describe() + ": expected " + c.expect() + ", "
                            + (problem == null ? "as asserted" : "FAILED: " + problem));
                }
                if (problem != null) {
                    k[1]++;
                    failures.add(c.describe() + ": " + problem + " [" + c.expect().why() + "]");
                } else if (c.expect() instanceof Throws) {
                    documented++;
                } else {
                    accepted.add(c.describe() + ": " + c.expect() + (o != null && c.bad() != null
                            && c.bad().inChildJvm() ? " in " + o.nanos() / 1_000_000 + " ms" : "")
                            + " [" + c.expect().why() + "]");
                }
            }

            other.close();
            Stats after = GuardedAllocator.shared().stats();
            if (after.liveSecrets() > before.liveSecrets()) {
                failures.add("the cases left " + (after.liveSecrets() - before.liveSecrets())
                        + " secret(s) of the shared allocator live");
            }
            for (String lost : bystanders.check()) {
                failures.add("[bystanders] " + lost);
            }
            try {
                GuardedAllocator.shared().verify();
            } catch (Error e) {
                failures.add("[bystanders] the shared allocator's canaries do not verify: " + e);
            }
            if (after.canaryFailures() != shared0.canaryFailures()
                    || after.quarantinedSlots() != shared0.quarantinedSlots()) {
                failures.add("[bystanders] canary failures went from " + shared0.canaryFailures() + " to "
                        + after.canaryFailures() + ", quarantined slots from " + shared0.quarantinedSlots() + " to "
                        + after.quarantinedSlots());
            }
            Map<Long, Long> blocks = bystanders.blocks;
            bystanders.close();
            for (Map.Entry<Long, Long> b : blocks.entrySet()) {
                var freed = log.at(b.getKey());
                if (freed.isEmpty() || freed.get().size() != b.getValue() || !freed.get().zero()) {
                    failures.add("[bystanders] the block of " + b.getValue() + " bytes was "
                            + (freed.isEmpty() ? "not freed" : freed.get().zero() ? "freed with another size"
                            : "NOT WIPED when it was freed"));
                }
            }
            List<FreeLog.Freed> all = log.all();
            blocksFreed = all.size();
            dirtyFreed = all.stream().filter(f -> !f.zero()).count();
            if (dirtyFreed > 0) {
                failures.add("[bystanders] " + dirtyFreed + " of " + blocksFreed + " blocks freed during the run held"
                        + " non-zero bytes when they were freed");
            }
            bystanderReport.add(bystanders.secrets.size() + " secrets, " + bystanders.segments.size()
                    + " arena segments and " + bystanders.allocations.size() + " allocations kept their bytes; "
                    + blocks.size() + " bystander blocks and " + blocksFreed + " blocks in all freed, "
                    + dirtyFreed + " not wiped; canary failures " + shared0.canaryFailures() + " -> "
                    + after.canaryFailures());
        } finally {
            other.close();
        }

        // The JVM is still here, and the library still works after all of that.
        try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32)) {
            SealingKey sk = SealingKey.of(Algorithm.AES_256_GCM, k);
            Sealed sealed = sk.seal(MemorySegment.ofArray(SAMPLE), MemorySegment.ofArray(new byte[0]));
            byte[] back = new byte[SAMPLE.length];
            OpeningKey.of(Algorithm.AES_256_GCM, k).open(sealed.nonce(), MemorySegment.ofArray(sealed.ciphertext()),
                    MemorySegment.ofArray(new byte[0]), MemorySegment.ofArray(back));
            if (!Arrays.equals(SAMPLE, back)) {
                failures.add("after the cases, a round trip no longer gives the plaintext back");
            }
        }

        int failed = (int) failures.stream().filter(f -> !f.startsWith("[")).count();
        System.out.println("BadInputTest: " + tried + " cases tried over " + membersTried.size() + " members: "
                + documented + " documented exceptions, " + accepted.size() + " accepted as documented, " + failed
                + " failures");
        System.out.println("BadInputTest: by kind: " + byKind.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()[0] + (e.getValue()[1] > 0 ? " (" + e.getValue()[1]
                        + " failed)" : "")).collect(Collectors.joining(", ")));
        List<String> untouched = members.stream().map(PublicApi::key).filter(k -> !membersTried.contains(k))
                .sorted().toList();
        System.out.println("BadInputTest: " + untouched.size() + " of " + members.size() + " public members take no"
                + " input and have no bad receiver state: " + String.join(", ", untouched));
        bystanderReport.forEach(b -> System.out.println("BadInputTest: bystanders: " + b));
        accepted.forEach(a -> System.out.println("BadInputTest: ACCEPTED " + a));
        silent.forEach(a -> System.out.println("BadInputTest: JAVADOC SILENT " + a));
        failures.forEach(f -> System.out.println("BadInputTest: FAILURE " + f));
        if (!failures.isEmpty()) {
            fail(failures.size() + " failures:\n  " + String.join("\n  ", failures));
        }
    }
}
