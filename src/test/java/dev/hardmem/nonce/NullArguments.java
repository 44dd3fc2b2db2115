package dev.hardmem.nonce;

import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Calls every public constructor and method a class declares (or inherits from a class of its package) with
 * {@code null} in each reference parameter in turn, the other arguments taken from samples, and checks that each
 * call throws {@link NullPointerException}. {@code equals(Object)} is skipped: it takes {@code null} by contract.
 */
public final class NullArguments {
    private NullArguments() {
    }

    /**
     * @param type     the class whose API is checked
     * @param receiver a fresh receiver for instance methods (called once per call), or {@code null} for none
     * @param samples  a fresh non-null value for each parameter type that occurs
     * @return the number of calls checked
     */
    public static int check(Class<?> type, Supplier<?> receiver, Map<Class<?>, Supplier<?>> samples) {
        List<Executable> all = new ArrayList<>();
        for (Constructor<?> c : type.getConstructors()) {
            all.add(c);
        }
        for (Method m : type.getMethods()) {
            boolean ours = m.getDeclaringClass().getPackageName().equals(type.getPackageName());
            boolean objectEquals = m.getName().equals("equals") && m.getParameterCount() == 1;
            boolean needsReceiver = !Modifier.isStatic(m.getModifiers());
            if (ours && !objectEquals && (!needsReceiver || receiver != null)) {
                all.add(m);
            }
        }
        int checked = 0;
        for (Executable e : all) {
            Class<?>[] types = e.getParameterTypes();
            for (int i = 0; i < types.length; i++) {
                if (types[i].isPrimitive()) {
                    continue;
                }
                Object[] args = new Object[types.length];
                for (int j = 0; j < types.length; j++) {
                    args[j] = j == i ? null : sample(samples, types[j], e);
                }
                Throwable thrown = invoke(e, receiver, args);
                assertInstanceOf(NullPointerException.class, thrown, e + " with null argument " + i);
                checked++;
            }
        }
        assertTrue(checked > 0 || all.stream().allMatch(x -> x.getParameterCount() == 0), type + ": nothing checked");
        return checked;
    }

    private static Object sample(Map<Class<?>, Supplier<?>> samples, Class<?> type, Executable e) {
        Supplier<?> s = samples.get(type);
        if (s == null) {
            fail("no sample of " + type.getName() + " for " + e);
        }
        return s.get();
    }

    private static Throwable invoke(Executable e, Supplier<?> receiver, Object[] args) {
        try {
            if (e instanceof Constructor<?> c) {
                c.newInstance(args);
            } else {
                Method m = (Method) e;
                m.invoke(Modifier.isStatic(m.getModifiers()) ? null : receiver.get(), args);
            }
            return null;
        } catch (InvocationTargetException x) {
            return x.getCause();
        } catch (ReflectiveOperationException x) {
            throw new AssertionError(x);
        }
    }
}
