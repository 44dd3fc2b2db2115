package dev.hardmem;

import dev.hardmem.testing.Dummies;
import dev.hardmem.testing.PublicApi;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every reference parameter of every public constructor and method in every exported package throws
 * {@link NullPointerException} when given {@code null} (the null policy of each {@code package-info}). The API is
 * found by scanning the compiled classes of the packages in {@link ApiPackages#ALL}, so a new package or method is
 * covered without touching this test; values for the other parameters come from {@link Dummies}, and a type
 * without a dummy fails the test by name.
 */
class NullHostilityTest {
    private static final String CAPABILITIES = "dev.hardmem.Capabilities#<init>(long,long,long,boolean,String,"
            + "boolean,boolean,long,long,String,int,long,int,boolean,int,String)";

    /**
     * Parameters that are documented to accept {@code null}: {@code "Class#member(ParamTypes)[index]"}, or without
     * {@code [index]} for every parameter of the member, with the reason.
     */
    private static final Map<String, String> ACCEPTS_NULL = Map.of(
            CAPABILITIES + "[9]", "corePattern: documented as null when /proc/sys/kernel/core_pattern is unreadable");

    /**
     * Known violations in code outside this test's issue, each to be fixed by the owner of the class (by a
     * {@code requireNonNull}, or by documenting that {@code null} is accepted and moving the entry to
     * {@link #ACCEPTS_NULL}). Listed so they are visible and greppable, and printed on every run; an entry that no
     * longer matches anything fails the test, so fixed entries cannot linger.
     */
    private static final Map<String, String> KNOWN_VIOLATIONS = Map.of();

    private record Case(Executable member, int index) {
        String key() {
            return memberKey(member) + "[" + index + "]";
        }

        @Override
        public String toString() {
            return key() + " (" + member.getParameterTypes()[index].getTypeName() + ")";
        }
    }

    private static String memberKey(Executable e) {
        String name = e instanceof Constructor<?> ? "<init>" : e.getName();
        String params = Arrays.stream(e.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(","));
        return e.getDeclaringClass().getName() + "#" + name + "(" + params + ")";
    }

    // ---------------------------------------------------------------- finding the API

    /** The exported packages' public classes, as {@link PublicApi} finds them; they must be the API packages. */
    static List<Class<?>> publicApiClasses() throws IOException, ClassNotFoundException {
        assertEquals(new TreeSet<>(ApiPackages.ALL), PublicApi.exportedPackages());
        return PublicApi.classes();
    }

    static List<Executable> publicMembers(Class<?> c) {
        List<Executable> members = new ArrayList<>(PublicApi.members(c));
        members.sort(Comparator.comparing(NullHostilityTest::memberKey));
        return members;
    }

    // ---------------------------------------------------------------- calling it

    /** What {@link #attempt} answers when a value is missing; those cases are reported with the missing types. */
    private static final String NO_DUMMY = "no dummy";

    /** Why one case did not throw {@code NullPointerException}, or {@code null} if it did. */
    private static String attempt(Case c, Set<String> missingDummies) {
        Executable e = c.member();
        Class<?>[] types = e.getParameterTypes();
        List<Object> made = new ArrayList<>();
        try {
            Object receiver = null;
            if (e instanceof Method m && !Modifier.isStatic(m.getModifiers())) {
                Optional<Object> r = Dummies.of(m.getDeclaringClass());
                if (r.isEmpty()) {
                    missingDummies.add(m.getDeclaringClass().getName() + " (receiver of " + memberKey(e) + ")");
                    return NO_DUMMY;
                }
                receiver = r.get();
                made.add(receiver);
            }
            Object[] args = new Object[types.length];
            for (int i = 0; i < types.length; i++) {
                if (i == c.index()) {
                    continue;
                }
                if (types[i].isPrimitive()) {
                    args[i] = Dummies.primitive(types[i]);
                    continue;
                }
                Optional<Object> d = Dummies.of(types[i]);
                if (d.isEmpty()) {
                    missingDummies.add(types[i].getName() + " (parameter of " + memberKey(e) + ")");
                    return NO_DUMMY;
                }
                args[i] = d.get();
                made.add(args[i]);
            }
            Object result;
            try {
                result = e instanceof Method m ? m.invoke(receiver, args) : ((Constructor<?>) e).newInstance(args);
            } catch (InvocationTargetException ite) {
                Throwable t = ite.getCause();
                return t instanceof NullPointerException ? null : "threw " + t;
            }
            made.add(result);
            return "returned normally (" + (result == null ? "null" : result.getClass().getSimpleName()) + ")";
        } catch (ReflectiveOperationException | IllegalArgumentException ex) {
            return "could not be called: " + ex;
        } finally {
            made.forEach(Dummies::release);
        }
    }

    @Test
    void everyReferenceParameterOfThePublicApiRejectsNull() throws Exception {
        List<Class<?>> classes = publicApiClasses();
        List<Case> cases = new ArrayList<>();
        int members = 0;
        for (Class<?> c : classes) {
            for (Executable e : publicMembers(c)) {
                members++;
                Class<?>[] types = e.getParameterTypes();
                for (int i = 0; i < types.length; i++) {
                    if (!types[i].isPrimitive()) {
                        cases.add(new Case(e, i));
                    }
                }
            }
        }
        Set<String> missingDummies = new TreeSet<>();
        List<String> failures = new ArrayList<>();
        List<String> known = new ArrayList<>();
        Set<String> usedExceptions = new HashSet<>();
        int tried = 0;
        int threw = 0;
        int allowed = 0;
        int noDummy = 0;
        for (Case c : cases) {
            String exception = exceptionFor(c, usedExceptions);
            if (exception != null && ACCEPTS_NULL.containsKey(exception)) {
                allowed++;
                continue;
            }
            tried++;
            String why = attempt(c, missingDummies);
            if (why == null) {
                threw++;
                continue;
            }
            if (why.equals(NO_DUMMY)) {
                noDummy++;
                continue;
            }
            if (exception != null) {
                known.add(c + ": " + why + " -- known: " + KNOWN_VIOLATIONS.get(exception));
            } else {
                failures.add(c + ": " + why);
            }
        }
        System.out.println("NullHostilityTest: " + tried + " null cases tried over " + members + " public members of "
                + classes.size() + " classes in " + new TreeSet<>(ApiPackages.ALL) + ": " + threw
                + " threw NullPointerException, " + known.size() + " known violations, " + failures.size()
                + " failures, " + noDummy + " not run for want of a dummy; " + allowed + " skipped as documented");
        known.forEach(k -> System.out.println("NullHostilityTest: KNOWN VIOLATION " + k));

        Set<String> stale = new TreeSet<>(ACCEPTS_NULL.keySet());
        stale.addAll(KNOWN_VIOLATIONS.keySet());
        stale.removeAll(usedExceptions);
        StringBuilder report = new StringBuilder();
        if (!missingDummies.isEmpty()) {
            report.append("No dummy value for these types; register one in dev.hardmem.testing.Dummies:\n  ")
                    .append(String.join("\n  ", missingDummies)).append('\n');
        }
        if (!failures.isEmpty()) {
            report.append("Did not throw NullPointerException for null:\n  ")
                    .append(String.join("\n  ", failures)).append('\n');
        }
        if (!stale.isEmpty()) {
            report.append("Exception entries that match no parameter any more (remove them):\n  ")
                    .append(String.join("\n  ", stale)).append('\n');
        }
        if (!report.isEmpty()) {
            fail(report.toString());
        }
        assertTrue(tried >= 25, "suspiciously few cases: " + tried);
    }

    /** {@return the exception-list key that covers {@code c}, if any, recording that it was used} */
    private static String exceptionFor(Case c, Set<String> used) {
        for (String key : List.of(c.key(), memberKey(c.member()))) {
            if (ACCEPTS_NULL.containsKey(key) || KNOWN_VIOLATIONS.containsKey(key)) {
                used.add(key);
                return key;
            }
        }
        return null;
    }
}
