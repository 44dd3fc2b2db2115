package dev.hardmem.proof;

import dev.hardmem.SecretKind;
import dev.hardmem.proof.Census.Around;
import dev.hardmem.proof.Census.Bad;
import dev.hardmem.proof.Census.Kind;
import dev.hardmem.proof.Census.Rule;
import dev.hardmem.proof.Census.State;
import dev.hardmem.proof.Census.Throws;
import dev.hardmem.proof.Census.Variant;
import dev.hardmem.sealed.PeriodicRekey;
import dev.hardmem.sealed.SealedSecret;
import dev.hardmem.sealed.SealingMode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hardmem.proof.Census.DIRECT;
import static dev.hardmem.proof.Census.IAE;
import static dev.hardmem.proof.Census.ISE;
import static dev.hardmem.proof.Census.ON_OTHER_THREAD;
import static dev.hardmem.proof.Census.accepted;
import static dev.hardmem.proof.Census.all;
import static dev.hardmem.proof.Census.bad;
import static dev.hardmem.proof.Census.fresh;
import static dev.hardmem.proof.Census.number;
import static dev.hardmem.proof.Census.only;
import static dev.hardmem.proof.Census.rule;
import static dev.hardmem.proof.Census.sizes;
import static dev.hardmem.proof.Census.throwing;

/**
 * The census cases of package {@code dev.hardmem.sealed}: sealed secrets (each {@link SealingMode} a receiver of its
 * own), with the bad states of a {@code Secret}, and the periodic rekey. {@code SealingMode} parameters are varied
 * ({@link CensusCases}), so every factory case runs in both modes.
 */
final class SealedCases implements Census.Table {
    private static final String SIZE_DOCUMENTED = "documented: 'if size is below 1 or above 64 TiB'";

    @Override
    public Map<String, List<Bad>> numeric() {
        Map<String, List<Bad>> n = new HashMap<>();
        List<Bad> size = new ArrayList<>(sizes(long.class, 1, throwing(IAE, SIZE_DOCUMENTED), false));
        long over = (64L << 40) + 1;
        size.add(number(Kind.HUGE, "64 TiB + 1", over, throwing(IAE, SIZE_DOCUMENTED)));
        for (String member : List.of("sealed.SealedSecret#random(Class,long)",
                "sealed.SealedSecret#random(Class,long,SealingMode)",
                "sealed.SealedSecret#withContents(Class,long,SecretConsumer)",
                "sealed.SealedSecret#withContents(Class,long,SealingMode,SecretConsumer)")) {
            n.put(member + "[1]", size);
        }
        return n;
    }

    @Override
    public Map<Class<?>, List<Bad>> typed() {
        Map<Class<?>, List<Bad>> t = new LinkedHashMap<>();
        t.put(SealedSecret.class, List.of(
                bad(Kind.CLOSED, "a closed sealed secret", s -> {
                    SealedSecret<SecretKind.Key> k = s.track(SealedSecret.random(SecretKind.Key.class, 16));
                    k.close();
                    return k;
                }, throwing(ISE, "documented: 'if either is closed'")),
                bad(Kind.WRONG_LENGTH, "a sealed secret of 32 bytes",
                        s -> s.track(SealedSecret.random(SecretKind.Key.class, 32)),
                        accepted("other sizes are no error: the answer is false")),
                bad(Kind.OTHER_KEY, "a shielded sealed secret",
                        s -> s.track(SealedSecret.random(SecretKind.Key.class, 16, SealingMode.SHIELDED)),
                        accepted("the modes differ in how the key is held, not in what is compared"))));
        Throws tooShort = throwing(IAE, "documented: 'if interval is below one millisecond'");
        t.put(Duration.class, List.of(
                bad(Kind.ZERO, "Duration.ZERO", s -> Duration.ZERO, tooShort),
                bad(Kind.NEGATIVE, "-1 s", s -> Duration.ofSeconds(-1), tooShort),
                bad(Kind.OUT_OF_RANGE, "999 µs", s -> Duration.ofNanos(999_999), tooShort),
                bad(Kind.OUT_OF_RANGE, "1 ms", s -> Duration.ofMillis(1),
                        accepted("documented: 'at least one millisecond'")),
                bad(Kind.HUGE, "Long.MAX_VALUE seconds", s -> Duration.ofSeconds(Long.MAX_VALUE),
                        accepted("no upper bound is documented: the wait is only long"))));
        return t;
    }

    @Override
    public Map<Class<?>, List<Variant>> receivers() {
        List<Variant> sealed = Arrays.stream(SealingMode.values()).map(m -> new Variant(
                m.name().toLowerCase(java.util.Locale.ROOT),
                s -> s.track(SealedSecret.random(SecretKind.Key.class, 16, m)))).toList();
        return Map.of(SealedSecret.class, sealed);
    }

    /** Runs a call inside a read ({@code write} false) or a write of the receiver, a sealed secret. */
    private static Around insideOwn(boolean write) {
        return (r, call, other) -> {
            SealedSecret<?> x = (SealedSecret<?>) r;
            Object[] result = new Object[1];
            if (write) {
                x.write(m -> result[0] = call.run());
            } else {
                x.read(m -> result[0] = call.run());
            }
            return result[0];
        };
    }

    @Override
    public Map<Class<?>, List<State>> states() {
        Map<Class<?>, List<State>> st = new HashMap<>();
        st.put(SealedSecret.class, List.of(
                new State(Kind.CLOSED, "closed", (v, s) -> {
                    SealedSecret<?> x = (SealedSecret<?>) fresh(v, s);
                    x.close();
                    return x;
                }, DIRECT, all(), throwing(ISE, "documented: 'if the secret is closed'")),
                new State(Kind.WRONG_THREAD, "used from another thread", Census::fresh, ON_OTHER_THREAD,
                        all(), accepted("documented: not confined; as a Secret, another thread waits for the"
                        + " access in progress")),
                new State(Kind.REENTRANT, "called inside its own read", Census::fresh, insideOwn(false),
                        all(), accepted("documented: reads share the secret as Secret.read does (they nest)")),
                new State(Kind.REENTRANT, "called inside its own write", Census::fresh, insideOwn(true),
                        only("read", "write", "contentEquals", "insecureCopyToHeap", "close", "destroy"),
                        throwing(ISE, "documented: 'or this thread has it open' (one writer, nothing inside it)"))));
        st.put(PeriodicRekey.class, List.of(
                new State(Kind.CLOSED, "closed", (v, s) -> {
                    PeriodicRekey p = (PeriodicRekey) fresh(v, s);
                    p.close();
                    return p;
                }, DIRECT, all(), accepted("documented: a closed handle still answers; 'closing twice does"
                        + " nothing'")),
                new State(Kind.WRONG_THREAD, "used from another thread", Census::fresh, ON_OTHER_THREAD, all(),
                        accepted("documented: only the rekeying thread itself may not close it"))));
        return st;
    }

    @Override
    public List<Rule> rules() {
        List<Rule> r = new ArrayList<>();
        for (String noThrows : List.of("size()", "kind()", "mode()")) {
            r.add(rule("sealed.SealedSecret#" + noThrows, "receiver", "closed",
                    accepted("no @throws: a closed secret keeps its " + noThrows)));
        }
        r.add(rule("sealed.SealedSecret#isDestroyed()", "receiver", "closed", accepted("documented: answers true")));
        for (String m : List.of("close()", "destroy()")) {
            r.add(rule("sealed.SealedSecret#" + m, "receiver", "called inside its own read", throwing(ISE,
                    "documented: 'if called from inside this secret's own read or write'")));
        }
        r.add(rule("sealed.SealedSecret#write(SecretConsumer)", "receiver", "called inside its own read",
                throwing(ISE, "documented: 'or this thread has it open' (many readers or one writer)")));
        return r;
    }
}
