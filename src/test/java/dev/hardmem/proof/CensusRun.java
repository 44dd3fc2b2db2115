package dev.hardmem.proof;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.proof.Census.Accepted;
import dev.hardmem.proof.Census.Around;
import dev.hardmem.proof.Census.Case;
import dev.hardmem.proof.Census.Dies;
import dev.hardmem.proof.Census.Kind;
import dev.hardmem.proof.Census.Outcome;
import dev.hardmem.proof.Census.Scope;
import dev.hardmem.proof.Census.Throws;
import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.OtherThread;

import java.io.ByteArrayInputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.channels.Channels;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.hardmem.proof.Census.DIRECT;
import static dev.hardmem.proof.Census.ON_OTHER_THREAD;
import static dev.hardmem.proof.Census.SLOW_NANOS;

/**
 * Runs one case of the census and judges what it did. The two cases that ask for a legal but 2 GiB secret
 * ({@code Secret.readFrom} with capacity {@code Integer.MAX_VALUE}) run in a child JVM: the guarded allocator
 * locks and pools that memory for the life of the process, which must not be the test JVM's.
 */
final class CensusRun {
    private final CensusCases cases;
    private final OtherThread other;
    /** The outcomes of the 2 GiB cases, by the simple name of the source type; made on first need. */
    private Map<String, Outcome> huge;

    CensusRun(CensusCases cases, OtherThread other) {
        this.cases = cases;
        this.other = other;
    }

    /** Reflection could not make the call at all: never an outcome of the library. */
    private static final class NotCalled extends Error {
        private static final long serialVersionUID = 1L;

        NotCalled(Throwable cause) {
            super(cause);
        }
    }

    /** {@return what {@code c} did, in this JVM or in the child} */
    Outcome outcome(Case c, Scope s) throws Exception {
        if (c.bad() != null && c.bad().inChildJvm()) {
            if (huge == null) {
                huge = runHugeCapacityChild();
            }
            return huge.get(c.member().getParameterTypes()[1].getSimpleName());
        }
        return execute(c, s);
    }

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

    private Outcome execute(Case c, Scope s) throws Exception {
        Executable m = c.member();
        Object receiver = null;
        if (CensusCases.isInstance(m)) {
            receiver = c.state() != null ? c.state().receiver().make(c.variant(), s)
                    : c.variant().receiver().make(s);
            s.receiver = receiver;
        }
        Object[] args = cases.validArgs(c, s);
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
    static String judge(Case c, Outcome o) {
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
}
