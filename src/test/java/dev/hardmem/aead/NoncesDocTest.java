package dev.hardmem.aead;

import dev.hardmem.testing.PublicApi;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code docs/nonces.md} claims about the code, checked against it: the tests it names exist, each rule of its
 * table names the tests that prove it, and every type and member of hardmem it names exists.
 */
class NoncesDocTest {
    private static final Path DOC = Path.of("docs/nonces.md");
    private static final List<String> TEST_PACKAGES = List.of("dev.hardmem", "dev.hardmem.aead",
            "dev.hardmem.nonce", "dev.hardmem.proof");

    @Test
    void everyTestItNamesExists() throws IOException {
        Matcher m = Pattern.compile("`(\\w+Test)(?:#(\\w+))?`").matcher(Files.readString(DOC));
        List<String> missing = new ArrayList<>();
        int found = 0;
        while (m.find()) {
            found++;
            Class<?> c = testClass(m.group(1));
            if (c == null || m.group(2) != null && Arrays.stream(c.getDeclaredMethods())
                    .noneMatch(method -> method.getName().equals(m.group(2)))) {
                missing.add(m.group());
            }
        }
        assertTrue(found >= 30, "few test references found: " + found);
        assertEquals(List.of(), missing, "tests named in " + DOC + " that do not exist");
    }

    @Test
    void everyRuleNamesTheTestsThatProveIt() throws IOException {
        List<String> lines = Files.readAllLines(DOC);
        int header = lines.indexOf("| rule | enforced by | on violation | proved by |");
        assertTrue(header >= 0, "no table of rules with a 'proved by' column");
        int rows = 0;
        for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String[] cells = lines.get(i).split("\\|");
            assertEquals(5, cells.length, lines.get(i));
            assertTrue(cells[4].matches(".*`\\w+Test(#\\w+)?`.*"), "a rule without its test: " + lines.get(i));
            rows++;
        }
        assertTrue(rows >= 10, "few rules: " + rows);
    }

    /**
     * Every span {@code `Type`} or {@code `Type.member...`} in which {@code Type} is a public type of hardmem names a
     * member it has; every span that names a nonce type names one hardmem has.
     */
    @Test
    void everyTypeAndMemberItNamesExists() throws Exception {
        Map<String, Class<?>> api = new HashMap<>();
        for (Class<?> c : PublicApi.classes()) {
            api.put(c.getSimpleName(), c);
        }
        String text = Files.readString(DOC).replaceAll("(?s)```.*?```", "");
        Matcher m = Pattern.compile("`([A-Z]\\w*)(?:\\.(\\w+))?").matcher(text);
        List<String> missing = new ArrayList<>();
        int checked = 0;
        while (m.find()) {
            Class<?> type = api.get(m.group(1));
            if (type == null) {
                if (m.group(1).matches("\\w+Nonce(Sequence)?")) {
                    missing.add(m.group(1) + " (no such type)");
                }
                continue;
            }
            checked++;
            if (m.group(2) != null && !hasMember(type, m.group(2))) {
                missing.add(m.group(1) + "." + m.group(2));
            }
        }
        assertTrue(checked >= 40, "few names of hardmem checked: " + checked);
        assertEquals(List.of(), missing, "names in " + DOC + " that hardmem's public API does not have");
    }

    private static boolean hasMember(Class<?> type, String name) {
        return Arrays.stream(type.getMethods()).map(Method::getName).anyMatch(name::equals)
                || Arrays.stream(type.getFields()).map(Field::getName).anyMatch(name::equals)
                || Arrays.stream(type.getClasses()).map(Class::getSimpleName).anyMatch(name::equals);
    }

    private static Class<?> testClass(String simpleName) {
        for (String pkg : TEST_PACKAGES) {
            try {
                return Class.forName(pkg + "." + simpleName);
            } catch (ClassNotFoundException e) {
                // the next package
            }
        }
        return null;
    }
}
