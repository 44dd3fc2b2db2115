package dev.hardmem.proof;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretConsumer;
import dev.hardmem.SecretFunction;
import dev.hardmem.SecretKind;
import dev.hardmem.proof.Census.After;
import dev.hardmem.proof.Census.Bad;
import dev.hardmem.proof.Census.Dies;
import dev.hardmem.proof.Census.Expect;
import dev.hardmem.proof.Census.Kind;
import dev.hardmem.proof.Census.Planted;
import dev.hardmem.proof.Census.Rule;
import dev.hardmem.proof.Census.Scope;
import dev.hardmem.proof.Census.State;
import dev.hardmem.proof.Census.Variant;
import dev.hardmem.testing.OtherThread;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hardmem.proof.Census.DIRECT;
import static dev.hardmem.proof.Census.IAE;
import static dev.hardmem.proof.Census.INSIDE_OWN_READ;
import static dev.hardmem.proof.Census.INSIDE_OWN_WRITE;
import static dev.hardmem.proof.Census.ISE;
import static dev.hardmem.proof.Census.ON_OTHER_THREAD;
import static dev.hardmem.proof.Census.OTHER_THREAD_TIMEOUT_SECONDS;
import static dev.hardmem.proof.Census.OVER_MAX_ALIGNMENT;
import static dev.hardmem.proof.Census.SILENT_HUGE;
import static dev.hardmem.proof.Census.WTE;
import static dev.hardmem.proof.Census.accepted;
import static dev.hardmem.proof.Census.alignments;
import static dev.hardmem.proof.Census.all;
import static dev.hardmem.proof.Census.allZero;
import static dev.hardmem.proof.Census.anyValue;
import static dev.hardmem.proof.Census.bad;
import static dev.hardmem.proof.Census.key;
import static dev.hardmem.proof.Census.number;
import static dev.hardmem.proof.Census.only;
import static dev.hardmem.proof.Census.rule;
import static dev.hardmem.proof.Census.sizes;
import static dev.hardmem.proof.Census.throwing;

/**
 * The census cases of package {@code dev.hardmem} ({@code Secret}, {@code SecretArena}, {@code Wipe}, the value
 * records), and the bad values of the JDK types the whole API takes: segments, buffers, arrays, streams, callbacks.
 */
final class CoreCases implements Census.Table {
    private final OtherThread other;
    private final Expect hugeCapacity;

    /**
     * @param other        the thread that owns the segments confined to another thread
     * @param hugeCapacity what {@code Secret.readFrom} with capacity {@code Integer.MAX_VALUE} must do here
     */
    CoreCases(OtherThread other, Expect hugeCapacity) {
        this.other = other;
        this.hugeCapacity = hugeCapacity;
    }

    @Override
    public Map<String, List<Bad>> numeric() {
        Map<String, List<Bad>> n = new HashMap<>();
        n.put("SecretArena#allocate(long,long)[0]", sizes(long.class, 0, throwing(IAE, SILENT_HUGE), false));
        n.put("SecretArena#allocate(long,long)[1]", alignments(number(Kind.MISALIGNED, OVER_MAX_ALIGNMENT,
                1L << 22, throwing(IAE, "javadoc silent (it names only non-powers of two): the guarded allocator"
                        + " aligns to at most GuardedAllocator.MAX_ALIGNMENT, and IllegalArgumentException is the JDK"
                        + " vocabulary"))));
        n.put("Secret#random(Class,long)[1]", sizes(long.class, 1, throwing(IAE, SILENT_HUGE), false));
        n.put("Secret#withContents(Class,long,SecretConsumer)[1]",
                sizes(long.class, 1, throwing(IAE, SILENT_HUGE), false));
        n.put("Secret#random(Class,long,GuardedAllocator)[1]",
                sizes(long.class, 1, throwing(IAE, SILENT_HUGE), false));
        n.put("Secret#withContents(Class,long,GuardedAllocator,SecretConsumer)[1]",
                sizes(long.class, 1, throwing(IAE, SILENT_HUGE), false));
        n.put("Secret#readFrom(Class,InputStream,long)[2]", capacities());
        n.put("Secret#readFrom(Class,ReadableByteChannel,long)[2]", capacities());
        n.put("SystemCallException#<init>(String,int,String)[1]",
                anyValue(int.class, "errno is whatever the call left; 0 when there was none"));
        return n;
    }

    /** {@return the sizes of a capacity, and 2 GiB: legal, and too much for the test JVM, so tried in a child} */
    private List<Bad> capacities() {
        List<Bad> b = new ArrayList<>(sizes(long.class, 1, throwing(IAE, SILENT_HUGE), false));
        long twoGiB = Integer.MAX_VALUE;
        b.add(new Bad(Kind.HUGE, "Integer.MAX_VALUE", s -> twoGiB, hugeCapacity, twoGiB, false, true));
        return b;
    }

    /** {@return 16 bytes of a secret arena that has been closed (wiped and freed)} */
    private static MemorySegment closedSegment() {
        SecretArena a = SecretArena.ofConfined();
        MemorySegment m = a.allocate(16).fill((byte) 7);
        a.close();
        return m;
    }

    private static InputStream failingStream() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("planted by the bad-input census");
            }
        };
    }

    private static InputStream bytes(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 0x33);
        return new ByteArrayInputStream(b);
    }

    @Override
    public Map<Class<?>, List<Bad>> typed() {
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
        t.put(SecretFunction.class, List.of(
                bad(Kind.ESCAPING, "a reader that lets the segment escape", s -> (SecretFunction<Object, RuntimeException>)
                        m -> m, new Dies(ISE, "documented: 'a reference that escapes throws"
                        + " IllegalStateException on use'")),
                bad(Kind.WRONG_THREAD, "a reader that hands the segment to another thread",
                        s -> (SecretFunction<Object, RuntimeException>) m -> touchElsewhere(s, m),
                        new Dies(WTE, "documented: an escaping reference throws 'WrongThreadException from"
                                + " another thread'")),
                bad(Kind.FAILING, "a reader that throws", s -> (SecretFunction<Object, RuntimeException>) m -> {
                    throw new Planted();
                }, throwing(Planted.class, "its exception propagates"))));
        t.put(SecretConsumer.class, List.of(
                bad(Kind.ESCAPING, "a writer that lets the segment escape", s -> (SecretConsumer<RuntimeException>)
                        m -> s.escaped = m, new Dies(ISE, "documented: the segment 'dies when the writer"
                        + " returns'")),
                bad(Kind.WRONG_THREAD, "a writer that hands the segment to another thread",
                        s -> (SecretConsumer<RuntimeException>) m -> touchElsewhere(s, m),
                        new Dies(WTE, "documented: the segment is 'confined to the calling thread'")),
                bad(Kind.FAILING, "a writer that throws", s -> (SecretConsumer<RuntimeException>) m -> {
                    throw new Planted();
                }, throwing(Planted.class, "documented for withContents: 'the exception propagates'"))));
        return t;
    }

    /** Touches {@code m} from the other thread, recording what that did, for {@link Dies}. */
    private Object touchElsewhere(Scope s, MemorySegment m) {
        s.usedElsewhere = true;
        try {
            other.call(() -> m.get(ValueLayout.JAVA_BYTE, 0), OTHER_THREAD_TIMEOUT_SECONDS);
        } catch (Throwable t) {
            s.elsewhereThrown = t;
        }
        return null;
    }

    @Override
    public Map<Class<?>, List<Variant>> receivers() {
        return Map.of(SecretArena.class, List.of(
                new Variant("confined", s -> s.track(SecretArena.ofConfined())),
                new Variant("shared", s -> s.track(SecretArena.ofShared())),
                new Variant("confined unguarded", s -> s.track(SecretArena.ofConfinedUnguarded())),
                new Variant("shared unguarded", s -> s.track(SecretArena.ofSharedUnguarded()))));
    }

    @Override
    public Map<Class<?>, List<State>> states() {
        Map<Class<?>, List<State>> st = new HashMap<>();
        st.put(Secret.class, List.of(
                new State(Kind.CLOSED, "closed", (v, s) -> {
                    Secret<?> x = (Secret<?>) Census.fresh(v, s);
                    x.close();
                    return x;
                }, DIRECT, all(), throwing(ISE, "documented: 'if the secret is closed'")),
                new State(Kind.WRONG_THREAD, "used from another thread", Census::fresh, ON_OTHER_THREAD,
                        all(), accepted("documented: not confined; another thread waits for the access in"
                        + " progress, and close 'waits for reads and writes in progress on other threads'")),
                new State(Kind.REENTRANT, "called inside its own read", Census::fresh, INSIDE_OWN_READ,
                        all(), accepted("documented: reads nest ('many readers')")),
                new State(Kind.REENTRANT, "called inside its own write", Census::fresh, INSIDE_OWN_WRITE,
                        only("read", "write", "contentEquals", "insecureCopyToHeap", "close", "destroy"),
                        throwing(ISE, "documented: 'or this thread has it open' (one writer, nothing inside it)"))));
        st.put(SecretArena.class, List.of(
                new State(Kind.CLOSED, "closed", (v, s) -> {
                    SecretArena a = (SecretArena) Census.fresh(v, s);
                    a.close();
                    return a;
                }, DIRECT, all(), throwing(ISE, "documented: after close(), allocate and a second close() throw"
                        + " IllegalStateException")),
                new State(Kind.WRONG_THREAD, "used from another thread", Census::fresh, ON_OTHER_THREAD,
                        all(), throwing(WTE, "documented: 'if this arena is confined to another thread'"))));
        return st;
    }

    @Override
    public List<Rule> rules() {
        return List.of(
                rule("Secret#size()", "receiver", "closed", accepted("no @throws: a closed secret keeps its size")),
                rule("Secret#kind()", "receiver", "closed", accepted("no @throws: a closed secret keeps its kind")),
                rule("Secret#isDestroyed()", "receiver", "closed", accepted("documented: answers true")),
                rule("Secret#close()", "receiver", "called inside its own read", throwing(ISE,
                        "documented: 'if called from inside this secret's own read or write'")),
                rule("Secret#destroy()", "receiver", "called inside its own read", throwing(ISE,
                        "documented: 'as close() does'")),
                rule("Secret#write(SecretConsumer)", "receiver", "called inside its own read", throwing(ISE,
                        "documented: 'a write inside its own read' (many readers or one writer)")),
                rule("Secret#fromBytesWiping(Class,byte[])", "[1]", "an empty array", throwing(IAE,
                        "documented: 'if source is empty'")),
                rule("Secret#fromCharsWiping(Class,char[])", "[1]", "an empty array", throwing(IAE,
                        "documented: 'if source is empty'")),

                rule("SecretArena#scope()", "receiver", "closed", accepted("Arena.scope(): the scope of a closed"
                        + " arena, no longer alive")),
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
                rule("SecretArena#allocate(long,long)", "[1]", OVER_MAX_ALIGNMENT, "confined unguarded",
                        accepted("the C heap aligns to any power of two, as Arena's contract allows")),
                rule("SecretArena#allocate(long,long)", "[1]", OVER_MAX_ALIGNMENT, "shared unguarded",
                        accepted("the C heap aligns to any power of two, as Arena's contract allows")),

                rule("Wipe#segment(MemorySegment)", "[0]", "a read-only view", throwing(
                        UnsupportedOperationException.class, "documented: 'if the segment is read-only'")));
    }

    private static final String NOT_WIPED = "the source was not wiped although the method failed (documented:"
            + " 'source is wiped ... also when this method fails')";

    @Override
    public Map<String, After> after() {
        return Map.of(
                "SecretArena#allocate(long,long)", Census.ALLOCATED,
                "Secret#fromBytesWiping(Class,byte[])", (s, o) -> o.thrown() != null
                        && s.args[1] instanceof byte[] b && !allZero(b) ? NOT_WIPED : null,
                "Secret#fromCharsWiping(Class,char[])", (s, o) -> {
                    if (o.thrown() == null || !(s.args[1] instanceof char[] c)) {
                        return null;
                    }
                    for (char x : c) {
                        if (x != 0) {
                            return NOT_WIPED;
                        }
                    }
                    return null;
                });
    }
}
