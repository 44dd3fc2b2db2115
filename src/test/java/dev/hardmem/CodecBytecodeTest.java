package dev.hardmem;

import dev.hardmem.testing.PublicApi;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.spi.ToolProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The functions that turn a character of hex or Base64 into its value, and a value into its character, compile to
 * bytecode with no branch, no switch, no array load (no table) and no call outside them: {@code javap -c} of the
 * compiled {@code Codec} is read instruction by instruction. What the JIT makes of the bytecode is beyond any test
 * here; this keeps the source honest, so that a table or an {@code if} added later fails the build.
 */
class CodecBytecodeTest {
    /** The data path: each takes a character or a value of the secret. */
    private static final Set<String> DATA_FUNCTIONS = Set.of("hexValue", "hexChar", "base64Value", "base64Char",
            "inRange", "is", "below");

    /** {@return the instructions of each method of {@code Codec}, by name} */
    private static Map<String, List<String>> disassemble() {
        ToolProvider javap = ToolProvider.findFirst("javap").orElseThrow();
        StringWriter out = new StringWriter();
        int rc = javap.run(new PrintWriter(out), new PrintWriter(out), "-c", "-p",
                PublicApi.classesDir().resolve("dev/hardmem/Codec.class").toString());
        assertEquals(0, rc, out.toString());
        Map<String, List<String>> methods = new LinkedHashMap<>();
        List<String> current = null;
        for (String line : out.toString().split("\n")) {
            String t = line.strip();
            if (line.startsWith("  ") && !line.startsWith("    ") && t.contains("(") && t.endsWith(";")) {
                String name = t.substring(0, t.indexOf('('));
                name = name.substring(name.lastIndexOf(' ') + 1);
                current = new ArrayList<>();
                methods.put(name, current);
            } else if (current != null && t.matches("\\d+: .*")) {
                current.add(t.substring(t.indexOf(':') + 2));
            }
        }
        return methods;
    }

    @Test
    void theDataFunctionsHaveNoBranchNoTableAndNoOtherCall() {
        Map<String, List<String>> methods = disassemble();
        assertTrue(methods.keySet().containsAll(DATA_FUNCTIONS), "not found: " + methods.keySet());
        for (String name : DATA_FUNCTIONS) {
            assertTrue(methods.get(name).size() > 3, name + ": no instructions read");
            for (String insn : methods.get(name)) {
                String op = insn.split("\\s+")[0];
                assertTrue(!op.startsWith("if") && !op.startsWith("goto") && !op.endsWith("switch")
                        && !op.endsWith("aload") || op.equals("aload"), name + ": " + insn);
                if (op.startsWith("invoke")) {
                    String callee = insn.substring(insn.indexOf("Method ") + 7);
                    callee = callee.substring(0, callee.indexOf(':'));
                    assertTrue(DATA_FUNCTIONS.contains(callee), name + " calls " + callee);
                }
                assertTrue(!op.startsWith("getstatic") && !op.startsWith("getfield"), name + " reads a field: "
                        + insn);
            }
        }
    }

    @Test
    void theCheckCatchesABranch() {
        // The control: the decode loops branch on the position, and the check sees it.
        assertTrue(disassemble().get("decodeBase64").stream().anyMatch(i -> i.startsWith("if")));
    }
}
