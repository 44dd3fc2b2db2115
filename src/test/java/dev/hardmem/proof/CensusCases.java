package dev.hardmem.proof;

import dev.hardmem.aead.Algorithm;
import dev.hardmem.crypto.AeadAlgorithm;
import dev.hardmem.guarded.Tier;
import dev.hardmem.proof.Census.After;
import dev.hardmem.proof.Census.Bad;
import dev.hardmem.proof.Census.Case;
import dev.hardmem.proof.Census.Expect;
import dev.hardmem.proof.Census.Fit;
import dev.hardmem.proof.Census.Kind;
import dev.hardmem.proof.Census.Rule;
import dev.hardmem.proof.Census.Scope;
import dev.hardmem.proof.Census.State;
import dev.hardmem.proof.Census.Variant;
import dev.hardmem.sealed.SealingMode;
import dev.hardmem.testing.Dummies;
import dev.hardmem.testing.PublicApi;

import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static dev.hardmem.proof.Census.anyValue;
import static dev.hardmem.proof.Census.bad;
import static dev.hardmem.proof.Census.throwing;

/**
 * The cases of the census: every public member crossed with the bad values of each of its parameters and the bad
 * states of its receiver, from the tables of the API packages merged into one. Each bad value and state carries
 * its expectation; a {@link Rule} overrides it for a named member. Enum parameters that change what a member does
 * ({@link Tier}, {@link Algorithm}, {@link AeadAlgorithm}, {@link SealingMode}) are varied: each case runs once per
 * constant of the others.
 */
final class CensusCases {
    private static final Set<Class<?>> VARIED_ENUMS =
            Set.of(Tier.class, Algorithm.class, AeadAlgorithm.class, SealingMode.class);
    private static final Bad NULL = bad(Kind.NULL, "null", s -> null, throwing(NullPointerException.class,
            "documented: the package's null policy (package-info)"));

    private final Map<String, List<Bad>> numeric = new HashMap<>();
    private final Map<Class<?>, List<Bad>> typed = new HashMap<>();
    private final Map<String, List<Bad>> perMember = new HashMap<>();
    private final Map<Class<?>, List<Variant>> receivers = new HashMap<>();
    private final Map<Class<?>, List<State>> states = new HashMap<>();
    private final List<Rule> rules = new ArrayList<>();
    private final Map<String, Fit> fits = new HashMap<>();
    private final Map<String, After> after = new HashMap<>();

    private final List<Case> cases = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final Set<Rule> usedRules = new HashSet<>();

    CensusCases(List<Executable> members, List<Census.Table> tables) {
        for (Census.Table t : tables) {
            merge(numeric, t.numeric());
            merge(typed, t.typed());
            merge(perMember, t.perMember());
            merge(receivers, t.receivers());
            merge(states, t.states());
            merge(fits, t.fits());
            merge(after, t.after());
            rules.addAll(t.rules());
        }
        members.forEach(this::generate);
    }

    private static <K, V> void merge(Map<K, V> into, Map<K, V> from) {
        from.forEach((k, v) -> {
            if (into.put(k, v) != null) {
                throw new IllegalStateException("two census tables define " + k);
            }
        });
    }

    /** {@return every case, in the order of the members, then of their parameters} */
    List<Case> cases() {
        return cases;
    }

    /** {@return what is missing from the tables: numeric parameters that have no bad values} */
    List<String> problems() {
        return problems;
    }

    /** {@return the rules that match no case: stale, to be removed} */
    List<Rule> unusedRules() {
        return rules.stream().filter(r -> !usedRules.contains(r)).toList();
    }

    /** {@return the check after each case of member {@code key}, or {@code null}} */
    After after(String key) {
        return after.get(key);
    }

    static boolean isInstance(Executable m) {
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
        fixed.forEach((i, val) -> parts.add(types[i].getSimpleName().toLowerCase(Locale.ROOT) + "=" + val));
        return String.join(", ", parts);
    }

    private void generate(Executable m) {
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
                            + types[i].getSimpleName() + "): add them to the table of its package");
                    continue;
                }
                bads.addAll(n);
            } else {
                bads.add(NULL);
                bads.addAll(typed.getOrDefault(types[i], List.of()));
                bads.addAll(perMember.getOrDefault(param, List.of()));
            }
            for (Variant v : variants) {
                for (Map<Integer, Object> fixed : enumCombinations(m, i)) {
                    for (Bad b : bads) {
                        cases.add(resolve(m, key, v, fixed, i, b, null));
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
                        cases.add(resolve(m, key, v, fixed, -1, null, st));
                    }
                }
            }
        }
    }

    private Case resolve(Executable m, String key, Variant v, Map<Integer, Object> fixed, int index, Bad b,
                         State st) {
        String label = b != null ? b.label() : st.label();
        Kind kind = b != null ? b.kind() : st.kind();
        if (st != null && st.kind() == Kind.CLOSED && Set.of("close", "destroy").contains(m.getName())) {
            kind = Kind.USED_TWICE; // closed, then closed again
        }
        Expect expect = b != null ? b.expect() : st.expect();
        Case c = new Case(m, key, v, where(v, m, fixed), fixed, index, b, st, kind, label, expect);
        for (Rule r : rules) {
            if (r.matches(c)) {
                usedRules.add(r);
                return new Case(m, key, v, c.where(), fixed, index, b, st, kind, label, r.expect());
            }
        }
        return c;
    }

    /** {@return valid arguments for {@code c}: dummies, the fixed enum values, and what fits the receiver} */
    Object[] validArgs(Case c, Scope s) throws Exception {
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
        Fit fit = fits.get(c.key());
        if (fit != null) {
            fit.fit(s, args);
        }
        return args;
    }

    /** {@return the members that appear in no case, by key} */
    List<String> untouched(List<Executable> members) {
        Set<String> tried = new HashSet<>();
        cases.forEach(c -> tried.add(c.key()));
        return members.stream().map(PublicApi::key).filter(k -> !tried.contains(k)).sorted().toList();
    }
}
