package dev.hardmem.tool;

import java.lang.reflect.InvocationTargetException;

/**
 * The jar's entry point. It is compiled for Java 8, apart from the rest of hardmem, so that an older {@code java}
 * can load it: it checks the Java version before any class that needs 22 is loaded, says what is needed when the
 * version is too old, and otherwise hands over to {@link Main}, found by name for the same reason.
 */
public final class Launcher {
    private static final int JAVA_NEEDED = 22;
    /** {@code Main.CANNOT_RUN_HERE}, which this class cannot name: {@code Main} is compiled for Java 22. */
    private static final int CANNOT_RUN_HERE = 3;

    private Launcher() {
    }

    /**
     * Runs {@code doctor} on Java 22 or newer; on an older Java, says so and exits with status 3.
     *
     * @param args the arguments for {@code Main}
     * @throws Throwable what {@code Main} throws
     */
    public static void main(String[] args) throws Throwable {
        if (feature(System.getProperty("java.specification.version")) < JAVA_NEEDED) {
            System.err.println("hardmem doctor: cannot run here: hardmem needs Java " + JAVA_NEEDED + " or newer;"
                    + " this is Java " + System.getProperty("java.version") + " (" + System.getProperty("java.home")
                    + "). Run the jar with the java of a JDK " + JAVA_NEEDED + "+.");
            System.exit(CANNOT_RUN_HERE);
        }
        try {
            Class.forName("dev.hardmem.tool.Main").getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** {@return the feature release of a specification version: 8 for {@code "1.8"}, 17 for {@code "17"}} */
    private static int feature(String specification) {
        String[] parts = specification.split("\\.");
        return Integer.parseInt(parts[0].equals("1") ? parts[1] : parts[0]);
    }
}
