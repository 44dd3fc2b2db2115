package dev.hardmem.tool;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README and {@code docs/doctor.md} name every option {@code doctor} takes and every exit status it gives. */
class DoctorDocsTest {
    private static List<String> options() {
        List<String> options = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s+(--[a-z]+)").matcher(Main.USAGE);
        while (m.find()) {
            options.add(m.group(1));
        }
        return options;
    }

    @Test
    void everyOptionAndExitStatusIsDocumented() throws Exception {
        List<String> options = options();
        assertTrue(options.containsAll(List.of("--json", "--harden", "--help")), options.toString());
        for (String doc : List.of("README.md", "docs/doctor.md")) {
            String text = Files.readString(Path.of(doc));
            for (String option : options) {
                assertTrue(text.contains(option), doc + " does not mention " + option);
            }
            for (String status : List.of("0", "1", "2", String.valueOf(Main.CANNOT_RUN_HERE))) {
                assertTrue(Pattern.compile("(?m)^\\| `?" + status + "`? \\|").matcher(text).find(),
                        doc + " has no row for exit status " + status);
            }
            assertTrue(text.contains("cannot run here"), doc);
            assertFalse(text.contains("doctor [--json]`"), doc + " shows an incomplete command line");
        }
    }
}
