package dev.hardmem.testing;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The public API of hardmem, found by scanning the compiled classes of the packages {@code module-info.class}
 * exports, so that a new package or member is covered without touching the tests that walk the API (the null test,
 * the bad-input census).
 */
public final class PublicApi {
    private PublicApi() {
    }

    /** {@return the directory of the compiled main classes} */
    public static Path classesDir() {
        return Path.of(System.getProperty("hardmem.test.classes", "target/classes"));
    }

    /** {@return the packages the module {@code dev.hardmem} exports, sorted} */
    public static Set<String> exportedPackages() {
        ModuleDescriptor d = ModuleFinder.of(classesDir()).find("dev.hardmem")
                .orElseThrow(() -> new IllegalStateException("no module dev.hardmem in " + classesDir()))
                .descriptor();
        return d.exports().stream().map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** {@return every public class (nested ones included) of the exported packages, sorted by package and name} */
    public static List<Class<?>> classes() throws IOException, ClassNotFoundException {
        List<Class<?>> found = new ArrayList<>();
        for (String pkg : exportedPackages()) {
            Path dir = classesDir().resolve(pkg.replace('.', '/'));
            List<String> names;
            try (Stream<Path> files = Files.list(dir)) {
                names = files.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".class") && !n.equals("package-info.class"))
                        .map(n -> pkg + "." + n.substring(0, n.length() - ".class".length()))
                        .sorted().toList();
            }
            for (String name : names) {
                Class<?> c = Class.forName(name, false, PublicApi.class.getClassLoader());
                if (isApi(c)) {
                    found.add(c);
                }
            }
        }
        return found;
    }

    private static boolean isApi(Class<?> c) {
        if (c.isSynthetic() || c.isAnonymousClass() || c.isLocalClass()) {
            return false;
        }
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@return the public constructors (of concrete classes) and methods {@code c} declares, without those that
     * override {@link Object}'s, sorted by {@link #key}} The abstract method of a functional interface (such as
     * {@code SecretFunction.apply}) is left out: the caller writes it and hardmem calls it, so what it does with a
     * bad argument is the caller's; the methods that take such an interface are walked with it.
     */
    public static List<Executable> members(Class<?> c) {
        List<Executable> members = new ArrayList<>();
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            if (Modifier.isPublic(k.getModifiers()) && !k.isSynthetic() && !Modifier.isAbstract(c.getModifiers())) {
                members.add(k);
            }
        }
        boolean callback = c.isAnnotationPresent(FunctionalInterface.class);
        for (Method m : c.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && !m.isSynthetic() && !m.isBridge() && !overridesObject(m)
                    && !(callback && Modifier.isAbstract(m.getModifiers()))) {
                members.add(m);
            }
        }
        members.sort(Comparator.comparing(PublicApi::key));
        return members;
    }

    private static boolean overridesObject(Method m) {
        try {
            Object.class.getMethod(m.getName(), m.getParameterTypes());
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /**
     * {@return {@code Class#member(ParamTypes)} with the class named from below {@code dev.hardmem.}, e.g.
     * {@code guarded.GuardedAllocator#allocate(long,long)} or {@code Secret#<init>(...)}}
     */
    public static String key(Executable e) {
        String name = e instanceof Constructor<?> ? "<init>" : e.getName();
        String params = Arrays.stream(e.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(","));
        String cls = e.getDeclaringClass().getName().replace('$', '.');
        if (cls.startsWith("dev.hardmem.")) {
            cls = cls.substring("dev.hardmem.".length());
        }
        return cls + "#" + name + "(" + params + ")";
    }
}
